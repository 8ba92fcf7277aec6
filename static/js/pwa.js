// The installable app, page side (docs/installable-app.md): registers the service worker
// (/sw.js, static/js/service-worker.js), says when a page is a copy kept for offline reading, and
// keeps the browser's bar in the site's light or dark colour. Pages work the same without it.
(function () {
  "use strict";

  var LOCALES = { en: "en-GB", es: "es-ES" }; // as the server formats dates (app/platform/i18n.py FORMAT_LOCALES)

  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-service-worker");
  var bookingsPath = script && script.getAttribute("data-my-bookings");
  var controlledAtLoad = "serviceWorker" in navigator && !!navigator.serviceWorker.controller;

  // --- "You're offline; this copy is from <time>." --------------------------------------
  function showOfflineCopy() {
    var marker = document.querySelector('meta[name="cozywish-offline-copy"]');
    if (!marker) return false;
    var when = new Date(marker.getAttribute("content"));
    var label = isNaN(when.getTime())
      ? ""
      : when.toLocaleString(LOCALES[document.documentElement.lang] || undefined, { dateStyle: "medium", timeStyle: "short" });
    var banner = document.createElement("div");
    banner.id = "offline-copy-banner";
    banner.className = "alert alert-warning rounded-0 mb-0 py-2 text-center small";
    banner.setAttribute("role", "status");
    var icon = document.createElement("i");
    icon.className = "bi bi-wifi-off me-1";
    icon.setAttribute("aria-hidden", "true");
    banner.appendChild(icon);
    banner.appendChild(document.createTextNode(words("You're offline; this copy is from {time}.").replace("{time}", label)));
    var main = document.getElementById("main");
    if (main && main.parentNode) main.parentNode.insertBefore(banner, main);
    return true;
  }

  // --- the browser's bar follows the theme the visitor chose, not only the system's -------
  function followTheme() {
    var metas = document.querySelectorAll('meta[name="theme-color"]');
    var colours = {};
    metas.forEach(function (meta) { colours[/dark/.test(meta.media) ? "dark" : "light"] = meta.content; });
    function apply() {
      var colour = colours[document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light"];
      if (colour) metas.forEach(function (meta) { meta.content = colour; });
    }
    if (!metas.length) return;
    apply();
    new MutationObserver(apply).observe(document.documentElement, { attributes: true, attributeFilter: ["data-bs-theme"] });
  }

  function isBookingPage() {
    var path = window.location.pathname;
    if (!bookingsPath) return false;
    if (path === bookingsPath) return true;
    return path.indexOf(bookingsPath + "/") === 0 && /^[A-Za-z0-9-]{1,40}$/.test(path.slice(bookingsPath.length + 1));
  }

  function register() {
    if (!workerUrl || !("serviceWorker" in navigator) || window.top !== window) return;
    navigator.serviceWorker.register(workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Seen before the worker controlled this tab (the first visit): ask it to keep a copy now.
      if (!controlledAtLoad && isBookingPage() && registration.active) {
        registration.active.postMessage({ type: "keep-copy", url: window.location.href });
      }
    }).catch(function () { /* no worker (private mode, an old browser): the site works as before */ });
  }

  var isCopy = false;
  document.addEventListener("DOMContentLoaded", function () {
    isCopy = showOfflineCopy();
    followTheme();
  });
  window.addEventListener("load", function () {
    if (!isCopy) register();
  });
})();
