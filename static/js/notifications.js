// Notification settings: a refused save (422) is swapped in place like a success, so its
// message shows beside the form, and focus moves to it. The forms work without this file.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if (status === 422 && target && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.closest("[data-swap-errors]")) return;
    var alert = target.querySelector("[role=alert][data-swap-focus]");
    if (alert) alert.focus();
  });
})();
