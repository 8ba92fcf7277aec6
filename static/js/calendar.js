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

  // (A click on a free time of the grid opens the "New" dialog: the last section of this file.)

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

// Book or block from the grid, in place (issue 45, item 1): a click or tap on a free time of the
// day or week grid (a [data-new-booking] container with [data-drop-day], [data-first-minute],
// [data-rows], and .cal-col[data-drop-member] columns) opens the "New" dialog
// (templates/booking/calendar/_new_dialog.html) with the desk's New booking fetched into it, that
// day, time and person filled in; "Block time" fetches the block form instead. Saving swaps the
// calendar (#calendar, outside the dialog) and closes the dialog; a refusal swaps the form again,
// its problems in it. Escape or "Close" closes it and the focus goes back. Keyboard users also
// have the toolbar's "New booking" (the desk's page); a browser without <dialog> opens that page.
(function () {
  "use strict";
  var ROW_MINUTES = 15;
  var clicked = null;   // the clicked time and the calendar it was on, for the dialog's requests
  var opener = null;    // what had the focus before the dialog opened
  var saved = false;    // the dialog's booking or block was saved: the calendar is being swapped
  var booked = null;    // the id of the booking just made, to focus once it is drawn
  var asked = null;     // the dialog body's latest request: an earlier one answering after it is dropped

  function dialog() { return document.getElementById("cal-new-dialog"); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(minute) { return pad(Math.floor(minute / 60)) + ":" + pad(minute % 60); }

  // The calendar's view and filters (its filter form follows every swap), to show it again.
  function calendarState() {
    var filters = document.getElementById("cal-filters");
    function value(name) {
      var field = filters && filters.elements[name];
      return field && field.value ? field.value : "";
    }
    return { cal_view: value("view"), cal_member: value("member"), cal_service: value("service") };
  }

  // Into the dialog's form once it is drawn, unless the user is already in one of its fields
  // (typing straight away: moving the focus then would send their next keys elsewhere).
  function focusFirst(root) {
    if (root.contains(document.activeElement)) return;
    var target = root.querySelector("#desk-errors, [aria-invalid=true]") ||
      root.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (target) target.focus();
  }

  function focusCalendar() {
    var link = booked ? document.querySelector('#calendar [data-booking-id="' + booked + '"] .cal-event-link') : null;
    var target = link || document.querySelector("#calendar .cal-scroll");
    booked = null;
    if (target) target.focus({ preventScroll: !link });
  }

  // Fetch the dialog's body: the desk's form ("dialog") or the block form ("block").
  function load(kind) {
    var d = dialog();
    var body = document.getElementById("cal-new-body");
    if (!d || !body || !clicked) return;
    d.querySelectorAll("[data-new-kind]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-new-kind") === kind ? "true" : "false");
    });
    var loading = document.getElementById("cal-new-loading");
    body.replaceChildren(loading ? loading.content.cloneNode(true) : "");
    var params = new URLSearchParams(clicked);
    params.set("part", kind);
    asked = d.getAttribute("data-new-url") + "?" + params.toString();
    window.htmx.ajax("GET", asked, { source: "#cal-new-body", target: "#cal-new-body", swap: "innerHTML" });
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || !event.target.closest || event.target.closest(".cal-event, .cal-off")) return;
    var column = event.target.closest(".cal-col");
    var grid = column ? column.closest("[data-new-booking]") : null;
    if (!grid || !grid.getAttribute("data-new-booking")) return;
    var rows = parseInt(grid.getAttribute("data-rows"), 10);
    var first = parseInt(grid.getAttribute("data-first-minute"), 10);
    var box = column.getBoundingClientRect();
    var row = Math.min(Math.max(Math.floor((event.clientY - box.top) / (box.height / rows)), 0), rows - 1);
    var at = {
      date: grid.getAttribute("data-drop-day"),
      time: clock(first + row * ROW_MINUTES),
      member: column.getAttribute("data-drop-member") || "any"
    };
    var d = dialog();
    if (!d || typeof d.showModal !== "function" || !window.htmx) {
      window.location.assign(grid.getAttribute("data-new-booking") + "?" + new URLSearchParams(at).toString());
      return;
    }
    clicked = Object.assign(at, calendarState());
    opener = document.activeElement;
    saved = false;
    if (!d.open) d.showModal();
    load("dialog");
  });

  // "Booking" / "Block time", and "Close".
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var kind = event.target.closest("#cal-new-dialog [data-new-kind]");
    if (kind) {
      if (kind.getAttribute("aria-pressed") !== "true") load(kind.getAttribute("data-new-kind"));
      return;
    }
    if (event.target.closest("#cal-new-dialog [data-new-close]")) dialog().close();
  });

  // Closed (Escape, "Close", or saved): the focus goes back where it was, or to the calendar.
  document.addEventListener("close", function (event) {
    if (event.target !== dialog() || saved) return;
    if (opener && opener.isConnected && opener !== document.body) opener.focus();
    else focusCalendar();
    opener = null;
  }, true);

  // A form of the dialog is sent: its answer is the calendar, saved, or the form again.
  var sent = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var d = dialog();
    var detail = event.detail || {};
    var source = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    if (d && d.open && source && d.contains(source) && detail.requestConfig && detail.requestConfig.verb === "post") sent = true;
  });

  // Saved: the answer is the calendar (#calendar). Close the dialog before htmx swaps it (and
  // before it keeps the page for the history), so no open dialog is kept.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var d = dialog();
    var detail = event.detail || {};
    var config = detail.requestConfig || {};
    if (detail.target && detail.target.id === "cal-new-body" && config.verb === "get" && config.path !== asked) {
      detail.shouldSwap = false;  // "Booking" then at once "Block time": only the block form is shown
      return;
    }
    var source = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    if (!d || !d.open || !(sent || (source && d.contains(source)))) return;
    if (detail.target && detail.target.id === "calendar" && detail.xhr && detail.xhr.status < 300) {
      saved = true;
      d.close();
    }
  });

  // The server names the booking it made (HX-Trigger), to focus it once drawn.
  document.addEventListener("cw:calendar-booked", function (event) {
    var detail = event.detail || {};
    var value = detail.value || detail;
    booked = value.booking || null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var d = dialog();
    var detail = event.detail || {};
    if (saved) {
      saved = sent = false;
      opener = null;
      focusCalendar();
      return;
    }
    var fetched = detail.elt && detail.elt.id === "cal-new-body";
    if (d && d.open && (fetched || sent)) focusFirst(document.getElementById("cal-new-body"));  // the form, or its problems
    sent = false;
  });
})();

// --- the stage menu: one per page (templates/booking/calendar/_macros.html, stage_menu) --------
// A card's stage button opens it (popovertarget, no script needed for that); here the menu is
// pointed at that card's booking first: its URL, its title, and which stage is pressed.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-stage-open]") : null;
    var menu = document.getElementById("cal-stage-menu");
    if (!opener || !menu) return;
    var form = menu.querySelector("[data-stage-form]");
    var url = form.getAttribute("data-stage-url").replace(/\/0\/stage$/, "/" + opener.getAttribute("data-stage-open") + "/stage");
    form.setAttribute("action", url);
    form.setAttribute("hx-post", url);
    if (window.htmx) window.htmx.process(form);
    var title = menu.querySelector("[data-stage-title]");
    if (title) title.textContent = opener.getAttribute("data-stage-booking");
    var current = opener.getAttribute("data-stage");
    form.querySelectorAll("button[name=stage]").forEach(function (button) {
      var pressed = button.value === current;
      button.classList.toggle("active", pressed);
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  });
})();
