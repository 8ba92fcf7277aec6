// Catalog lists on the provider dashboard (services, team, FAQs, photos). No inline scripts (strict CSP).
// - Drag and drop: a list marked [data-reorder] whose items ([data-id]) carry a hidden "ids" input
//   and a [data-drag-handle]; an item becomes draggable only while its handle is held, so text
//   in it stays selectable. On drop the list fires "cw:reordered" and its hx-post sends the order.
//   The up/down buttons do the same with a keyboard or without JavaScript.
// - Form errors: 409 and 422 answers inside [data-catalog] carry the form with its messages,
//   so they are swapped in like a success; other 4xx answers become a toast.
// - Focus: the button a keyboard user pressed is replaced by the swap; focus goes back to the
//   same control in the new content (the field in error, the moved row's button, the Edit link).
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var ITEM = "[data-reorder] > [data-id]";
  var dragged = null;
  var orderBefore = "";

  document.addEventListener("mousedown", function (event) {
    var handle = event.target.closest ? event.target.closest("[data-drag-handle]") : null;
    var item = handle ? handle.closest(ITEM) : null;
    if (item) item.setAttribute("draggable", "true");
  });
  document.addEventListener("mouseup", function () {
    if (dragged) return;
    document.querySelectorAll(ITEM + "[draggable]").forEach(function (el) { el.removeAttribute("draggable"); });
  });

  function order(list) {
    return Array.prototype.map.call(list.querySelectorAll(":scope > [data-id]"), function (el) {
      return el.dataset.id;
    }).join(",");
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest ? event.target.closest(ITEM) : null;
    if (!item || !item.hasAttribute("draggable")) return;
    dragged = item;
    orderBefore = order(item.parentNode);
    item.classList.add("opacity-50");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.id || "");
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var over = event.target.closest ? event.target.closest(ITEM) : null;
    if (!over || over.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    if (over === dragged) return;
    var box = over.getBoundingClientRect();
    var grid = over.parentNode.dataset.reorder === "grid";
    var after = grid ? event.clientX > box.left + box.width / 2 : event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var list = dragged.parentNode;
    dragged.classList.remove("opacity-50");
    dragged.removeAttribute("draggable");
    dragged = null;
    if (window.htmx && order(list) !== orderBefore) window.htmx.trigger(list, "cw:reordered");
  });

  function inCatalog(event) {
    var elt = event.detail && event.detail.elt;
    return !!(elt && elt.closest && elt.closest("[data-catalog]"));
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if ((status === 409 || status === 422) && inCatalog(event)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  var refocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!inCatalog(event)) return;
    var active = document.activeElement;
    var form = active && active.closest ? active.closest("form[action]") : null;
    refocus = form ? form.getAttribute("action") : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var action = refocus;
    refocus = null;
    if (!action) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return; // autofocus won
    var selector = '[action="' + CSS.escape(action) + '"]';
    var form = document.querySelector("form" + selector);
    var row = form && form.closest("[data-id]");
    var control = form
      ? form.querySelector(".is-invalid") ||
        form.querySelector("input:not([type=hidden]):not([type=file]):not([type=checkbox]), textarea") ||
        form.querySelector("button:not([disabled])") ||
        (row && row.querySelector("button:not([disabled]), a[href]"))
      : document.querySelector('[data-catalog] a[href="' + CSS.escape(action) + '"]');
    if (!control) {
      var target = event.detail.target && document.getElementById(event.detail.target.id);
      if (!target) return;
      target.setAttribute("tabindex", "-1");
      control = target;
    }
    control.focus();
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status < 400 || status >= 500 || !inCatalog(event) || !window.cozywishToast) return;
    var page = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
    var text = (page.body.textContent || "").replace(/\s+/g, " ").trim();
    window.cozywishToast(text || words("That didn't work. Reload the page and try again."), "danger");
  });
})();
