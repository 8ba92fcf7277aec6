// A booking's message thread: a refused message or report (409/422/429) is swapped in place like
// a success, so its reason shows beside the form, and focus moves to it. Works without this file.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if ((status === 409 || status === 422 || status === 429) && target && target.closest("[data-thread]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var thread = document.getElementById("messages");
    if (!thread || !target || !(target === thread || target.id === "messages")) return;
    var alert = thread.querySelector("[role=alert][data-swap-focus]");
    if (alert) { alert.focus(); return; }
    var box = thread.querySelector("#message-body");
    if (box && !box.value) box.focus();
  });
})();
