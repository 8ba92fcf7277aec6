// Booking pages: hold countdown, refused HTMX requests shown in place, focus after swaps,
// the calendar's chosen day, one person with a chosen team member. Every page works without it.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  // --- a refusal (400/409/422) is swapped into the part of the page that asked -------
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var target = event.detail.target;
    if (status >= 400 && status < 500 && status !== 401 && status !== 403 && target && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target) initCountdowns(target);  // a swapped-in list (My bookings' tabs) may hold countdowns
    if (!target || !target.closest("[data-swap-errors]")) return;
    markChosenDay();
    initTeamSelects(target);
    // Move focus to what the swap was for: an error first, else the newest heading.
    var alert = target.querySelector("[role=alert][data-swap-focus]");
    var marks = target.querySelectorAll("[data-swap-focus]");
    var focus = alert || (marks.length ? marks[marks.length - 1] : null);
    if (focus) focus.focus({ preventScroll: false });
  });

  // --- the calendar shows the day whose times are listed -----------------------------
  function markChosenDay() {
    var slots = document.querySelector("[data-slots-for]");
    if (!slots) return;
    var day = slots.getAttribute("data-slots-for");
    document.querySelectorAll("#booking-calendar a[data-day]").forEach(function (link) {
      var chosen = link.getAttribute("data-day") === day;
      link.classList.toggle("btn-primary", chosen);
      link.classList.toggle("btn-outline-primary", !chosen);
      if (chosen) link.setAttribute("aria-current", "date");
      else link.removeAttribute("aria-current");
    });
  }

  // --- a chosen team member sees one person -----------------------------------------
  function initTeamSelects(root) {
    root.querySelectorAll("[data-team-select]").forEach(function (select) {
      if (select.dataset.cwReady) return;
      select.dataset.cwReady = "1";
      var form = select.closest("form");
      var quantity = form ? form.querySelector("input[name=quantity]") : null;
      if (!quantity) return;
      function apply() {
        var max = select.value ? "1" : quantity.getAttribute("data-max");
        quantity.setAttribute("max", max);
        if (select.value) quantity.value = "1";
        quantity.readOnly = Boolean(select.value);
      }
      select.addEventListener("change", apply);
      apply();
    });
  }

  // --- the hold countdown -----------------------------------------------------------
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function initCountdowns(root) {
    root.querySelectorAll("time[data-countdown]").forEach(function (el) {
      if (el.dataset.cwReady) return;
      el.dataset.cwReady = "1";
      var deadline = Date.parse(el.getAttribute("datetime"));
      if (isNaN(deadline)) return;
      var left = document.querySelector(el.getAttribute("data-countdown-target"));
      var expiredNote = document.querySelector(el.getAttribute("data-countdown-expired"));
      var timer = null;
      function tick() {
        var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        if (left) {
          left.hidden = false;
          left.textContent = " — " + words("{minutes}:{seconds} left").replace("{minutes}", Math.floor(seconds / 60)).replace("{seconds}", pad(seconds % 60));
        }
        if (seconds === 0) {
          window.clearInterval(timer);
          if (expiredNote) expiredNote.hidden = false;
          document.querySelectorAll("form[data-confirm-order] button[type=submit]").forEach(function (b) { b.disabled = true; });
        }
      }
      tick();
      timer = window.setInterval(tick, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCountdowns(document);
    initTeamSelects(document);
  });
})();
