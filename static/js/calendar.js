// The provider's calendar: refusals (409/422) swap into the page like successes, and the feed
// link copies to the clipboard. No inline scripts (strict CSP).
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

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

  // A bad filter (400) says why in a toast (static/js/app.js, for every page); the calendar
  // stays as it was.

  // --- on a phone the filters fold behind "Filters" (static/css/calendar.css) ----------------
  // The whole calendar is swapped on every change, the filters included: the open state lives
  // here and is put back after each swap.
  var filtersOpen = false;

  function showFilters() {
    var toggle = document.querySelector("[data-filters-toggle]");
    var filters = document.getElementById("cal-filters");
    if (!toggle || !filters) return;
    toggle.setAttribute("aria-expanded", filtersOpen ? "true" : "false");
    filters.classList.toggle("cal-filters-open", filtersOpen);
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest ? event.target.closest("[data-filters-toggle]") : null;
    if (!toggle) return;
    filtersOpen = toggle.getAttribute("aria-expanded") !== "true";
    showFilters();
    if (filtersOpen) {
      var first = document.querySelector("#cal-filters input:not([type=hidden]), #cal-filters select");
      if (first) first.focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !filtersOpen) return;
    var filters = document.getElementById("cal-filters");
    var toggle = document.querySelector("[data-filters-toggle]");
    if (!filters || !toggle || !filters.contains(document.activeElement) || toggle.offsetParent === null) return;
    filtersOpen = false;
    showFilters();
    toggle.focus();
  });

  // A swapped-in form that keeps its id first wears the old one's class (so the focus htmx gives
  // back to its field lands on a shown field), then gets its own back when htmx "settles" it.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (inCalendar(event)) showFilters();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    function copied() {
      if (window.cozywishToast) window.cozywishToast(words("The feed link is copied."), "success");
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

// Moving bookings: drag a confirmed booking to another time or team member (day view) or day
// (week view), snapped to the 15-minute grid; or press its "Move" button for a dialog with
// date, time and team member (the keyboard way). Either way one form is sent with htmx and
// the server checks everything again: a refusal re-renders the calendar (the booking is back
// where it was) with a toast saying why.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var ROW_MINUTES = 15;
  var THRESHOLD = 6; // pixels before a press becomes a drag (a click still opens the booking)

  function dialog() { return document.getElementById("cal-move-dialog"); }
  function form() { return document.getElementById("cal-move-form"); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(minute) { return pad(Math.floor(minute / 60)) + ":" + pad(minute % 60); }

  function fill(booking, values) {
    var f = form();
    if (!f) return null;
    f.setAttribute("action", f.getAttribute("data-move-url").replace(/\/0\/move$/, "/" + booking.getAttribute("data-booking-id") + "/move"));
    f.querySelector("[data-move-label]").textContent = booking.getAttribute("data-label") || words("booking");
    f.elements.new_date.value = values.date;
    f.elements.new_time.value = values.time;
    f.elements.new_member.value = values.member;
    return f;
  }

  function send(f) {
    if (!window.htmx) { f.submit(); return; }
    window.htmx.ajax("POST", f.getAttribute("action"), { source: f, target: "#calendar", swap: "outerHTML" });
  }

  function current(booking) {
    return {
      date: booking.getAttribute("data-date"),
      time: booking.getAttribute("data-time"),
      member: booking.getAttribute("data-member") || ""
    };
  }

  // --- a click on a free time of the day grid: the desk's New booking at that time and person
  // (keyboard users have the toolbar's "New booking"); a drag's own click never gets here.
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || !event.target.closest || event.target.closest(".cal-event")) return;
    var column = event.target.closest(".cal-col");
    var grid = column ? column.closest("[data-new-booking]") : null;
    if (!grid) return;
    var rows = parseInt(grid.getAttribute("data-rows"), 10);
    var first = parseInt(grid.getAttribute("data-first-minute"), 10);
    var box = column.getBoundingClientRect();
    var row = Math.min(Math.max(Math.floor((event.clientY - box.top) / (box.height / rows)), 0), rows - 1);
    var params = new URLSearchParams({
      date: grid.getAttribute("data-drop-day"),
      time: clock(first + row * ROW_MINUTES),
      member: column.getAttribute("data-drop-member") || "any"
    });
    window.location.assign(grid.getAttribute("data-new-booking") + "?" + params.toString());
  });

  // --- the keyboard way: the "Move" dialog ----------------------------------------------
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-move-open]") : null;
    if (opener) {
      var d = dialog();
      var booking = opener.closest("[data-movable]");
      if (!d || !booking || typeof d.showModal !== "function") return; // the link opens the booking's page
      event.preventDefault();
      fill(booking, current(booking));
      d.showModal();
      form().elements.new_date.focus();
      return;
    }
    if (event.target.closest && event.target.closest("[data-move-cancel]")) {
      var open = dialog();
      if (open) open.close();
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "cal-move-form") return;
    event.preventDefault();
    var d = dialog();
    if (d && d.open) d.close();
    send(event.target);
  });

  // --- dragging ---------------------------------------------------------------------------
  var drag = null;

  function dropTarget(x, y) {
    var hits = document.elementsFromPoint(x, y);
    for (var i = 0; i < hits.length; i++) {
      var el = hits[i];
      if (el.matches && (el.matches("[data-drop-member]") || el.matches("[data-drop-date]"))) return el;
    }
    return null;
  }

  // Where the dragged booking would land: {date, time, member} or null.
  function landing(state, target) {
    if (!target || !state) return null;
    var values = current(state.booking);
    if (target.hasAttribute("data-drop-date")) {
      values.date = target.getAttribute("data-drop-date");
      return values;
    }
    var grid = target.closest("[data-drop-day]");
    if (!grid) return null;
    var rows = parseInt(grid.getAttribute("data-rows"), 10);
    var first = parseInt(grid.getAttribute("data-first-minute"), 10);
    var column = target.getBoundingClientRect();
    var top = state.booking.getBoundingClientRect().top - column.top;
    var row = Math.min(Math.max(Math.round(top / (column.height / rows)), 0), rows - 1);
    values.date = grid.getAttribute("data-drop-day");
    values.time = clock(first + row * ROW_MINUTES);
    values.member = target.getAttribute("data-drop-member");
    return values;
  }

  function highlight(target) {
    if (drag.target === target) return;
    if (drag.target) drag.target.classList.remove("cal-drop-target");
    drag.target = target;
    if (target) target.classList.add("cal-drop-target");
  }

  function finish(event) {
    document.removeEventListener("pointermove", onMove);
    document.removeEventListener("pointerup", finish);
    document.removeEventListener("pointercancel", finish);
    var state = drag;
    drag = null;
    if (!state || !state.moving) return;
    var values = event.type === "pointerup" ? landing(state, state.target) : null;
    if (state.target) state.target.classList.remove("cal-drop-target");
    if (state.label) state.label.remove();
    state.booking.classList.remove("cal-dragging");
    state.booking.style.transform = "";
    // The drag ends with a click on the link underneath: it must not open the booking.
    function swallow(e) { e.preventDefault(); e.stopPropagation(); }
    document.addEventListener("click", swallow, { capture: true, once: true });
    window.setTimeout(function () { document.removeEventListener("click", swallow, { capture: true }); }, 0);
    var before = current(state.booking);
    if (!values || (values.date === before.date && values.time === before.time && values.member === before.member)) return;
    var f = fill(state.booking, values);
    if (f) send(f);
  }

  function onMove(event) {
    if (!drag) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moving) {
      if (Math.abs(dx) < THRESHOLD && Math.abs(dy) < THRESHOLD) return;
      drag.moving = true;
      drag.booking.classList.add("cal-dragging");
      drag.label = document.createElement("span");
      drag.label.className = "cal-drag-time";
      drag.label.setAttribute("aria-hidden", "true");
      drag.booking.appendChild(drag.label);
    }
    event.preventDefault();
    drag.booking.style.transform = "translate(" + dx + "px, " + dy + "px)";
    highlight(dropTarget(event.clientX, event.clientY));
    var values = landing(drag, drag.target);
    drag.label.textContent = values ? (drag.target.hasAttribute("data-drop-date") ? values.date : values.time) : "";
  }

  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || !event.isPrimary) return;
    var booking = event.target.closest ? event.target.closest("[data-movable]") : null;
    if (!booking || event.target.closest("[data-move-open]")) return;
    drag = { booking: booking, x: event.clientX, y: event.clientY, moving: false, target: null, label: null };
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", finish);
    document.addEventListener("pointercancel", finish);
  });

  // Links inside a booking would start the browser's own link drag instead of ours.
  document.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest("[data-movable]")) event.preventDefault();
  });
})();
