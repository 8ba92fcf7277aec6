// Recently viewed venues, kept in this browser only (localStorage), newest first: a venue page
// adds itself; a page with a "Recently viewed" shelf asks the server for their cards.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }
  var KEY = "cozywish-recently-viewed";
  var MAX = 12;

  function read() {
    try {
      var ids = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return Number.isInteger(id) && id > 0; }).slice(0, MAX) : [];
    } catch (e) {
      return [];
    }
  }

  function write(ids) {
    try { localStorage.setItem(KEY, JSON.stringify(ids.slice(0, MAX))); } catch (e) { /* private mode: nothing kept */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var here = document.querySelector("[data-recently-viewed-id]");
    var current = here ? parseInt(here.getAttribute("data-recently-viewed-id"), 10) : null;

    var shelf = document.querySelector("[data-recently-viewed-shelf]");
    if (shelf) {
      var ids = read().filter(function (id) { return id !== current; });
      var list = shelf.querySelector("[data-recently-viewed-list]");
      if (ids.length && list && window.htmx) {
        shelf.hidden = false;
        htmx.ajax("GET", list.getAttribute("data-url") + "?ids=" + ids.join(","), { target: list, swap: "innerHTML" });
      }
      var clear = shelf.querySelector("[data-recently-viewed-clear]");
      if (clear) {
        clear.addEventListener("click", function () {
          write([]);
          shelf.hidden = true;
          if (window.cozywishToast) window.cozywishToast(words("Cleared the venues you viewed on this browser."), "success");
        });
      }
    }

    if (current) {
      write([current].concat(read().filter(function (id) { return id !== current; })));
    }
  });
})();
