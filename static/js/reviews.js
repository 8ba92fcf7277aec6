// The venue's reviews page: a refused answer or report (400/404/409/422) is swapped into its
// review like a success, so the reason shows beside the form, and focus moves to it. The page
// works without this file (plain form posts).
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if ((status === 400 || status === 409 || status === 422) && target && target.closest("[data-review-item]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-review-item]")) return;
    var item = document.getElementById(target.id) || target;
    var focus = item.querySelector("[role=alert][data-swap-focus]") || item.querySelector("[data-swap-focus]");
    if (focus) focus.focus();
  });
})();
