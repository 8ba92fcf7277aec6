// The provider's calendar: refusals (409/422) swap into the page like successes, and the feed
// link copies to the clipboard. No inline scripts (strict CSP).
(function () {
  "use strict";

  function inCalendar(event) {
    var elt = event.detail && (event.detail.target || event.detail.elt);
    return !!(elt && elt.closest && elt.closest("[data-calendar]"));
  }

  // A refused action answers with the panel and its message: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if ((status === 409 || status === 422) && inCalendar(event)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A bad filter (400) says why in a toast; the calendar stays as it was.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 400 || !inCalendar(event) || !window.cozywishToast) return;
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var text = doc.body ? doc.body.textContent.replace(/\s+/g, " ").trim() : "";
    window.cozywishToast(text || "That request didn't make sense to us.", "danger");
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    function copied() {
      if (window.cozywishToast) window.cozywishToast("The feed link is copied.", "success");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(copied, function () {
        input.select();
      });
    } else {
      input.select();
    }
  });
})();
