// The check-in page's camera: scan a booking's QR code and send it through the same form a
// person types into. The scanner library (qr-scanner, from npm) is loaded only here, only when
// the camera is started.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-check-in-scanner]");
    if (!root) return;
    var video = root.querySelector("[data-scanner-video]");
    var frame = root.querySelector("[data-scanner-frame]");
    var start = root.querySelector("[data-scanner-start]");
    var stop = root.querySelector("[data-scanner-stop]");
    var status = root.querySelector("[data-scanner-status]");
    var scanner = null;
    var last = "";
    var lastAt = 0;

    function say(text) { status.textContent = text; }

    function submit(code) {
      var form = document.querySelector("[data-check-in-form]");
      if (!form) return;
      form.querySelector("input[name=code]").value = code;
      if (window.htmx) htmx.trigger(form, "submit"); else form.submit();
    }

    function onScan(result) {
      var code = (result && result.data ? result.data : String(result || "")).trim();
      var now = Date.now();
      if (!code || (code === last && now - lastAt < 5000)) return; // the same code held up: once
      last = code;
      lastAt = now;
      say(words("Read {code}. Checking in…").replace("{code}", function () { return code; }));
      submit(code);
    }

    start.addEventListener("click", function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say(words("This browser can't use a camera here. Type the code instead."));
        return;
      }
      start.disabled = true;
      say(words("Starting the camera…"));
      import(root.getAttribute("data-module")).then(function (module) {
        var QrScanner = module.default;
        scanner = scanner || new QrScanner(video, onScan, { returnDetailedScanResult: true, highlightScanRegion: false });
        return scanner.start();
      }).then(function () {
        frame.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        say(words("Camera on: hold the code up to it."));
      }).catch(function (error) {
        start.disabled = false;
        var denied = error && (error.name === "NotAllowedError" || String(error).indexOf("denied") >= 0);
        say(words(denied ? "The camera is blocked for this site. Allow it in the browser, or type the code."
                         : "No camera could be started. Type the code instead."));
      });
    });

    stop.addEventListener("click", function () {
      if (scanner) scanner.stop();
      frame.hidden = true;
      stop.hidden = true;
      start.hidden = false;
      start.disabled = false;
      say(words("Camera off."));
    });
  });
})();
