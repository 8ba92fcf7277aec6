// CozyWish page behaviour: theme toggle, toasts, HTMX feedback. No inline scripts (strict CSP).
(function () {
  "use strict";

  // --- the page's language: templates/_js_text.html puts the words static/js shows in a JSON
  // block (#js-text) keyed by their English, which is also the fallback (English pages have none).
  var pageWords = null;
  window.cozywishText = function (english) {
    if (pageWords === null) {
      var block = document.getElementById("js-text");
      try { pageWords = block ? JSON.parse(block.textContent) : {}; } catch (error) { pageWords = {}; }
    }
    return pageWords[english] || english;
  };
  function words(english) { return window.cozywishText(english); }

  // --- dark / light mode, remembered in localStorage -------------------------------
  function applyTheme(theme) {
    document.documentElement.setAttribute("data-bs-theme", theme);
    var toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    var dark = theme === "dark";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    toggle.querySelector("i").className = dark ? "bi bi-sun" : "bi bi-moon-stars";
    toggle.querySelector(".visually-hidden").textContent = words(dark ? "Light mode" : "Dark mode");
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyTheme(document.documentElement.getAttribute("data-bs-theme") || "light");
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var next = document.documentElement.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
        try { localStorage.setItem("cozywish-theme", next); } catch (e) { /* ignore */ }
        applyTheme(next);
      });
    }
    initToasts(document);
    initSubmitFeedback(document);
    initScrollers(document);
  });

  // --- toasts: server flashes render visible; JS makes them dismiss themselves ------
  function initToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll("[data-cw-toast]").forEach(function (el) {
      if (el.dataset.cwReady) return;
      el.dataset.cwReady = "1";
      var danger = el.classList.contains("text-bg-danger");
      var toast = bootstrap.Toast.getOrCreateInstance(el, { autohide: !danger, delay: 6000 });
      toast.show();
    });
  }

  function showToast(message, category) {
    var template = document.getElementById("toast-template");
    var container = document.getElementById("toasts");
    if (!template || !container) return;
    var el = template.content.firstElementChild.cloneNode(true);
    var kind = { danger: "danger", error: "danger", warning: "warning", info: "info" }[category] || "success";
    el.className = el.className.replace(/text-bg-\w+/, "text-bg-" + kind);
    el.setAttribute("role", kind === "danger" ? "alert" : "status");
    el.querySelector("[data-toast-message]").textContent = message;
    container.appendChild(el);
    initToasts(container);
  }
  window.cozywishToast = showToast;

  // The server asks for toasts after HTMX swaps with an HX-Trigger header.
  document.addEventListener("cw:toast", function (event) {
    var items = event.detail && event.detail.value ? event.detail.value : event.detail;
    (Array.isArray(items) ? items : [items]).forEach(function (item) {
      if (item && item.message) showToast(item.message, item.category);
    });
  });

  // --- HTMX: progress bar, errors as toasts, focus and new content wired up ---------
  document.addEventListener("htmx:beforeRequest", function () {
    document.documentElement.classList.add("htmx-busy");
  });
  document.addEventListener("htmx:afterRequest", function () {
    document.documentElement.classList.remove("htmx-busy");
  });
  // A refusal (400/409/422/429) answers with the part of the page that asked, its message in it:
  // a target inside [data-swap-errors] shows it like a success (htmx drops 4xx answers, and
  // logs "Response Status Error Code ..." as a console error).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if ([400, 409, 422, 429].indexOf(status) >= 0 && target && target.closest && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Any other refusal (4xx) says why in a toast instead of vanishing: its answer is the error
  // fragment (templates/errors/fragment.html) or a panel; its text is the message, unless the
  // server sent a toast of its own (HX-Trigger cw:toast). Handled, it is no htmx error (htmx
  // would log "Response Status Error Code ..." to the console). Added once the page's own
  // scripts have added theirs (they run before DOMContentLoaded), so they decide first.
  function refusalText(xhr) {
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var found = doc.querySelector("[role=alert]") || doc.body;
    var text = found ? found.textContent.replace(/\s+/g, " ").trim() : "";
    return text.length > 300 ? text.slice(0, 297) + "…" : text;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      var status = xhr ? xhr.status : 0;
      if (status < 400 || status >= 500 || event.detail.shouldSwap || !event.detail.isError) return;
      event.detail.isError = false;
      if (/cw:toast/.test(xhr.getResponseHeader("HX-Trigger") || "")) return;
      showToast(refusalText(xhr) || words("That request didn't make sense to us."), "danger");
    });
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 500) showToast(words("Something went wrong on our side. Please try again."), "danger");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast(words("We couldn't reach CozyWish. Check your connection and try again."), "danger");
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    // A history restore swaps the whole body and has no target.
    var root = event.detail.target || document;
    initToasts(root);
    initSubmitFeedback(root);
  });
  // After the swap has settled, the whole page: an outerHTML swap's target is the element it replaced.
  document.addEventListener("htmx:afterSettle", function () { initScrollers(document); });
  document.addEventListener("toggle", function () { initScrollers(document); }, true);  // <details> opened

  // --- wide tables: a .table-responsive that scrolls sideways (on a phone) with nothing in it to
  // focus can't be scrolled by keyboard; while it scrolls it takes focus itself, as a region named
  // after its table's caption.
  function initScrollers(root) {
    root.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var mine = box.dataset.cwScroller;
      if (scrolls && !mine && !box.hasAttribute("tabindex") && !box.querySelector("a[href], button, input, select, textarea, [tabindex]")) {
        var caption = box.querySelector("caption");
        var named = caption && !box.hasAttribute("aria-label");
        box.dataset.cwScroller = named ? "named" : "1";
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (named) box.setAttribute("aria-label", caption.textContent.replace(/\s+/g, " ").trim());
      } else if (!scrolls && mine) {
        if (mine === "named") box.removeAttribute("aria-label");
        delete box.dataset.cwScroller;
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { initScrollers(document); }, 200);
  });

  // --- forms: a spinner and disabled button while a normal submit is under way -------
  function initSubmitFeedback(root) {
    root.querySelectorAll("form:not([hx-post]):not([hx-get])").forEach(function (form) {
      if (form.dataset.cwSubmit) return;
      form.dataset.cwSubmit = "1";
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) {
          button.setAttribute("aria-busy", "true");
          button.classList.add("is-submitting");
          window.setTimeout(function () { button.disabled = true; }, 0);
        }
      });
    });
  }
})();

// --- pages shared by every visitor carry no form token: fetch one before the first change ---
(function () {
  "use strict";
  function words(english) { return window.cozywishText(english); }
  document.addEventListener("htmx:confirm", function (event) {
    var verb = (event.detail.verb || "get").toLowerCase();
    if (verb === "get" || document.querySelector('meta[name="csrf-token"]')) return;
    event.preventDefault();
    fetch("/csrf-token", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("no token");
        return response.json();
      })
      .then(function (data) {
        var meta = document.createElement("meta");
        meta.name = "csrf-token";
        meta.content = data.token;
        document.head.appendChild(meta);
        document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": data.token }));
        event.detail.issueRequest(true);
      })
      .catch(function () {
        if (window.cozywishToast) window.cozywishToast(words("We couldn't reach CozyWish. Check your connection and try again."), "danger");
      });
  });
})();
