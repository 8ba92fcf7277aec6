// CozyWish booking button, pasted into a venue's own website (docs/booking-button.md):
//   <script src="https://<cozywish>/static/js/embed.js" data-cozywish-venue="<slug>" async></script>
// It adds a "Book now" button after itself; the button opens the venue's booking panel
// (https://<cozywish>/embed/<slug>) in an overlay. The panel only lists services and times;
// a chosen time opens CozyWish in a new tab to sign in and pay, so blocked third-party
// cookies never stop a booking. Everything here is scoped to its own elements.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-cozywish-venue]");
  Array.prototype.forEach.call(scripts, function (script) {
    if (script.getAttribute("data-cozywish-ready")) { return; }
    script.setAttribute("data-cozywish-ready", "1");
    var slug = script.getAttribute("data-cozywish-venue");
    var origin = new URL(script.src, document.baseURI).origin;
    var panelUrl = origin + "/embed/" + encodeURIComponent(slug);
    var label = script.getAttribute("data-label") || "Book now";

    var button = document.createElement("button");
    button.type = "button";
    button.className = "cozywish-book-button";
    button.textContent = label;
    button.setAttribute("aria-haspopup", "dialog");
    button.style.cssText = "font:inherit;font-weight:600;padding:.6em 1.2em;border:0;border-radius:.5em;" +
      "background:#6941c6;color:#fff;cursor:pointer";
    script.parentNode.insertBefore(button, script.nextSibling);

    var overlay = null;
    function close() {
      if (!overlay) { return; }
      document.removeEventListener("keydown", onKey, true);
      overlay.parentNode.removeChild(overlay);
      overlay = null;
      button.focus();
    }
    function onKey(event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    }
    function open() {
      if (overlay) { return; }
      overlay = document.createElement("div");
      overlay.className = "cozywish-overlay";
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", label);
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483000;background:rgba(16,24,40,.6);" +
        "display:flex;align-items:center;justify-content:center";
      var box = document.createElement("div");
      box.style.cssText = "position:relative;width:min(480px,100vw);height:min(720px,100vh);background:#fff;" +
        "border-radius:.75em;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.35)";
      var shut = document.createElement("button");
      shut.type = "button";
      shut.className = "cozywish-close";
      shut.setAttribute("aria-label", "Close");
      shut.textContent = "\u00d7";
      shut.style.cssText = "position:absolute;top:.25em;right:.4em;z-index:1;font-size:1.6em;line-height:1;" +
        "border:0;background:transparent;color:#344054;cursor:pointer";
      shut.addEventListener("click", close);
      var frame = document.createElement("iframe");
      frame.src = panelUrl;
      frame.title = label;
      frame.className = "cozywish-panel";
      frame.style.cssText = "border:0;width:100%;height:100%";
      box.appendChild(shut);
      box.appendChild(frame);
      overlay.appendChild(box);
      overlay.addEventListener("click", function (event) { if (event.target === overlay) { close(); } });
      document.addEventListener("keydown", onKey, true);
      document.body.appendChild(overlay);
      shut.focus();
    }
    button.addEventListener("click", open);
  });
})();
