"""The calendar's booking cards in a real browser (issue 45, item 2): tomorrow's bookings of 15,
30, 45 and 60 minutes in the day view, at 1366x900 and 390x844, in light and dark. Every card's
text fits its box (or ends in an ellipsis with the whole text in a title) and nothing is cut by
the card's edge, axe finds nothing serious, the page never scrolls sideways; the desk moves a
card to Arrived with the mouse and to Started with the keyboard, and sees its colour change;
dragging a card still moves the booking. Screenshots land in docs/screenshots/ with E2E_SCREENSHOTS."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import look_everywhere, run_seed
from e2e.conftest import sign_in as e2e_sign_in

PASSWORD = "amber-willow-lantern-2026"

# Each card: a problem in words for each text that is cut by the card's edge, or overflows its
# own box without an ellipsis and a title to read it whole. A line a short card drops whole
# (past its bottom or its right edge) is not cut; the time, client and service never drop.
FITS = """() => {
  const problems = [];
  const within = (r, box) =>
    r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  const past = (r, box) => r.left >= box.right - 1 || r.top >= box.bottom - 1;
  for (const card of document.querySelectorAll(".cal-booking")) {
    const id = card.dataset.bookingId;
    const box = card.getBoundingClientRect();
    if (card.scrollWidth > card.clientWidth + 1 || card.scrollHeight > card.clientHeight + 1) {
      problems.push(`${id}: the card overflows`);
    }
    const link = card.querySelector(".cal-event-link");
    const short = card.classList.contains("cal-short");
    const texts = short ? [link] : [...card.querySelectorAll(".cal-line:not(.cal-line-time), .cal-event-customer")];
    for (const el of texts) {
      const style = getComputedStyle(el);
      if (style.display === "none" || style.position === "absolute") continue;  // read out, not shown
      const r = el.getBoundingClientRect();
      const words = el.textContent.replace(/\\s+/g, " ").trim();
      if (!words || r.width === 0) continue;
      const kept = el.matches(".cal-line-time, .cal-line-who, .cal-event-customer, .cal-event-title") || short;
      if (!within(r, box) && (kept || !past(r, box))) problems.push(`${id}: "${words}" is cut by the card's edge`);
      const clipped = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      const ellipsis = style.textOverflow === "ellipsis" || (style.webkitLineClamp && style.webkitLineClamp !== "none");
      const titled = [el, ...card.querySelectorAll("[title]")].some((t) => t.getAttribute("title") && t.contains(el));
      if (clipped && !(ellipsis && titled)) problems.push(`${id}: "${words}" overflows its box`);
    }
    const time = card.querySelector(".cal-event-time").getBoundingClientRect();
    const line = short ? link : card.querySelector(".cal-line-time");
    const room = line.getBoundingClientRect();
    if (!within(time, room) || !within(room, box)) problems.push(`${id}: its time is cut`);
    if (short && link.scrollHeight > link.clientHeight + 1) {  // clamped: no line may show in part
      const style = getComputedStyle(link);
      const lines = parseInt(style.webkitLineClamp, 10) || 1;
      const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      if (link.clientHeight > lines * parseFloat(style.lineHeight) + padding + 1) {
        problems.push(`${id}: a line shows in part below its ${lines}`);
      }
    }
    if (!short) {  // the stage or status beside the time: wholly there, or dropped whole
      const status = card.querySelector(".cal-line-time .cal-event-status");
      const r = status.getBoundingClientRect();
      if (getComputedStyle(status).display !== "none" && !within(r, room) && !past(r, room)) {
        problems.push(`${id}: its status is cut`);
      }
    }
  }
  return problems;
}"""


def cards_fit(page: Page, where: str) -> None:
    problems = page.evaluate(FITS)
    assert problems == [], f"{where}: " + "; ".join(problems)


def look(page: Page) -> None:
    look_everywhere(page, "calendar-day", "#calendar", checks=[cards_fit])


def test_the_cards_fit_say_what_matters_and_change_stage(page: Page, live_server, unique_email, browser_errors):
    tag = uuid.uuid4().hex[:6]
    owner_email = unique_email("cards-owner")
    made = run_seed(
        live_server,
        "e2e.cards_seed",
        {
            "password": PASSWORD,
            "owner_email": owner_email,
            "owner_name": "Otto Owner",
            "customer_email": unique_email("cards-client"),
            "customer_name": "Maria Fernanda Castellanos-Whitfield",
            "venue_name": f"Willow Rooms {tag}",
        },
    )
    ids = {int(minutes): booking_id for minutes, booking_id in made["bookings"].items()}
    e2e_sign_in(page, owner_email, PASSWORD, "Otto")
    page.goto(f"/provider/calendar?date={made['day']}")
    cards = {minutes: page.locator(f'.cal-booking[data-booking-id="{i}"]') for minutes, i in ids.items()}
    for minutes in (15, 30):
        expect(cards[minutes]).to_have_class(re.compile(r"\bcal-short\b"))
    expect(cards[15].locator('[data-flag="new-client"]')).to_have_count(1)
    expect(cards[30].locator('[data-channel="site"]')).to_have_count(1)
    expect(cards[45].locator('[data-flag="notes"]')).to_have_count(1)
    expect(cards[45].locator('[data-flag="intake"]')).to_have_count(1)
    expect(cards[60].locator('[data-channel="desk"]')).to_have_count(1)
    expect(cards[60]).to_contain_text("£70 due")
    expect(cards[45]).to_contain_text("£55 paid")

    # Arrived, with the mouse: the card's stage button opens its choices.
    cards[60].locator("[data-stage-open]").click()
    choices = page.locator("#cal-stage-menu")  # the page's one menu, pointed at this card's booking
    expect(choices).to_be_visible()
    expect(choices).to_contain_text("Wanda Walkin-Longname")
    expect(choices.get_by_role("button", name="Booked")).to_have_attribute("aria-pressed", "true")
    choices.get_by_role("button", name="Arrived").click()
    expect(page.get_by_role("status").filter(has_text="Wanda Walkin-Longname has arrived.")).to_be_visible()
    expect(cards[60]).to_have_class(re.compile(r"\bcal-tone-arrived\b"))
    expect(cards[60].locator(".cal-event-status")).to_have_text("Arrived")

    # Started, with the keyboard.
    cards[60].locator("[data-stage-open]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cal-stage-menu")).to_be_visible()
    expect(page.locator("#cal-stage-menu").get_by_role("button", name="Arrived")).to_have_attribute(
        "aria-pressed", "true"
    )
    started = page.locator("#cal-stage-menu").get_by_role("button", name="Started")
    for _ in range(6):  # from the button into its choices: Booked, Arrived, Started
        page.keyboard.press("Tab")
        if started.evaluate("b => b === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="appointment has started")).to_be_visible()
    expect(cards[60]).to_have_class(re.compile(r"\bcal-tone-started\b"))
    expect(cards[60]).not_to_have_attribute("data-movable", "")  # a started treatment stays put

    page.evaluate("document.querySelectorAll('.toast').forEach((t) => t.remove())")  # out of the screenshots
    page.locator("[data-legend] summary").click()  # the colours, in words
    expect(page.locator("[data-legend] [data-tone]")).to_have_count(7)
    look(page)

    # Dragging still moves a booking: the 45-minute facial from 12:00 down to 15:00.
    card = cards[45]
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    row = page.locator(".cal-col").first.bounding_box()["height"] / int(
        page.locator(".cal-day[data-rows]").get_attribute("data-rows")
    )
    page.mouse.move(box["x"] + 20, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 20, steps=3)
    page.mouse.move(box["x"] + 20, box["y"] + 8 + 12 * row, steps=10)
    page.mouse.up()
    expect(page.get_by_role("status").filter(has_text="Moved")).to_be_visible()
    expect(cards[45]).to_have_attribute("data-time", "15:00")
    browser_errors.assert_none()
