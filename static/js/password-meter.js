// Password strength meter for [data-password-meter] (accounts/_password_meter.html loads this file).
// The estimator, zxcvbn-ts with its list of common passwords (~220 KB compressed), is fetched only
// when someone focuses or types in the password field; until it arrives the meter judges length.
// The server checks the password whatever the meter said (app/accounts/passwords.py).
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"];
  var COLOURS = ["bg-danger", "bg-danger", "bg-warning", "bg-info", "bg-success"];
  var estimator = null; // a promise of check(password, userInputs), shared by every meter

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false; // run in the order added
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function loadEstimator(meter) {
    if (estimator) return estimator;
    var translations = import(meter.dataset.zxcvbnTranslations).then(
      function (module) { return module.default; },
      function () { return null; } // no sentences: the meter shows the score alone
    );
    estimator = Promise.all([
      loadScript(meter.dataset.zxcvbnCore),
      loadScript(meter.dataset.zxcvbnCommon),
      translations,
    ]).then(function (loaded) {
      var ts = window.zxcvbnts;
      var options = {
        graphs: ts["language-common"].adjacencyGraphs,
        dictionary: ts["language-common"].dictionary,
      };
      if (loaded[2]) options.translations = loaded[2];
      var factory = new ts.core.ZxcvbnFactory(options);
      return function (password, userInputs) {
        var result = factory.check(password, userInputs);
        // Without the sentences the feedback would be bare keys ("similarToCommon"): drop it.
        return loaded[2] ? result : { score: result.score, feedback: null };
      };
    });
    estimator.catch(function () { estimator = null; }); // offline: try again on the next focus
    return estimator;
  }

  function render(meter, input, check) {
    var value = input.value;
    var score = 0;
    var hint = "";
    if (value.length > 0 && check) {
      var others = Array.prototype.map.call(document.querySelectorAll("[data-password-context]"), function (el) { return el.value; });
      var result = check(value.slice(0, 100), others);
      score = result.score;
      hint = (result.feedback && (result.feedback.warning || (result.feedback.suggestions || [])[0])) || "";
    }
    if (value.length > 0 && value.length < 12) { score = Math.min(score, 1); hint = words("Use at least 12 characters."); }
    var bar = meter.querySelector(".progress-bar");
    bar.style.width = value.length ? ((score + 1) * 20) + "%" : "0%";
    bar.className = "progress-bar " + COLOURS[score];
    meter.querySelector(".progress").setAttribute("aria-valuenow", String(value.length ? score + 1 : 0));
    meter.querySelector("[data-meter-label]").textContent = value.length ? words(LABELS[score]) + (hint ? " — " + hint : "") : "";
  }

  function initMeter(meter) {
    if (meter.dataset.cwReady) return;
    var input = document.getElementById(meter.dataset.passwordMeter);
    if (!input || !meter.querySelector(".progress-bar") || !meter.querySelector("[data-meter-label]")) return;
    meter.dataset.cwReady = "1";
    meter.hidden = false;
    var check = null;
    function load() {
      loadEstimator(meter).then(function (fn) {
        check = fn;
        render(meter, input, check);
      }, function () { /* length only until it loads */ });
    }
    input.addEventListener("focus", load);
    input.addEventListener("input", function () {
      render(meter, input, check);
      if (!check) load();
    });
  }

  function initAll(root) {
    root.querySelectorAll("[data-password-meter]").forEach(initMeter);
  }

  document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initAll(event.detail.target || document); });
})();
