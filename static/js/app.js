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
