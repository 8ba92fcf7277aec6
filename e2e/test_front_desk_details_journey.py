"""The front desk's smaller screens, in Chromium (issue 45, item 7): on a phone (390x844) the
"Added to cart" toast leaves "Go to cart" uncovered, and the calendar's page buttons each show a
label under their icon, in one row; at 1366x900 and on a phone a staff login's role list shows
"Receptionist" whole."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from e2e.conftest import sign_in as e2e_sign_in
from e2e.test_phone_layout_journey import PASSWORD, PHONE, assert_in_viewport, assert_one_row, box, pick_a_time, set_up

DESKTOP = {"width": 1366, "height": 900}

# The width the select's chosen option needs (its text in the select's font, plus its padding
# and the arrow's room), against the width it has.
ROOM_FOR_TEXT = """el => {
  const style = getComputedStyle(el);
  const probe = document.createElement("span");
  probe.style.font = style.font;
  probe.style.position = "absolute";
  probe.style.whiteSpace = "nowrap";
  probe.textContent = el.options[el.selectedIndex].text;
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  probe.remove();
  return {needed, has: el.getBoundingClientRect().width};
}"""


def overlaps(a: Locator, b: Locator) -> bool:
    one, two = box(a), box(b)
    return not (
        one["x"] + one["width"] <= two["x"]
        or two["x"] + two["width"] <= one["x"]
        or one["y"] + one["height"] <= two["y"]
        or two["y"] + two["height"] <= one["y"]
    )


def test_on_a_phone_the_added_toast_leaves_go_to_cart_clear(page: Page, live_server, unique_email, browser_errors):
    customer = {"email": unique_email("toast"), "name": "Tessa Toast"}
    venue = set_up(live_server, [customer])
    page.set_viewport_size(PHONE)
    e2e_sign_in(page, customer["email"], PASSWORD, "Tessa")
    pick_a_time(page, venue)
    page.locator("form[data-add-to-cart]").get_by_role("button", name="Add to cart").click()

    toast = page.locator("#toasts [data-cw-toast]").filter(has_text="Added Hot stone massage to your cart.")
    go = page.locator("#slot-details").get_by_role("link", name="Go to cart")
    expect(toast).to_be_visible()
    expect(go).to_be_visible()
    assert_in_viewport(go, PHONE)
    assert not overlaps(toast, go), f"the toast {box(toast)} covers Go to cart {box(go)}"
    assert box(toast)["y"] < PHONE["height"] / 4, "on a phone the toast comes down from the top"
    # Where the issue saw it: the button at the foot of the screen. The toast is not there.
    go.evaluate("el => el.scrollIntoView({block: 'end', behavior: 'instant'})")
    expect(toast).to_be_visible()
    assert not overlaps(toast, go)
    go.click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    browser_errors.assert_none()


def test_the_phone_calendar_labels_its_buttons_and_the_staff_roles_show_whole(page: Page, live_server, browser_errors):
    venue = set_up(live_server, [])
    e2e_sign_in(page, venue["owner_email"], PASSWORD, "Iris")

    # -- 1. The calendar on a phone: an icon over a short label each, one row, all on screen. -----
    page.set_viewport_size(PHONE)
    page.goto("/provider/calendar")
    main = page.get_by_role("main")
    buttons = [
        ("Requests", "Requests"),
        ("New booking", "New"),
        ("Clients", "Clients"),
        ("Check in", "Check in"),
        ("Rescheduling policy", "Policy"),
        ("Dashboard", "Dashboard"),
    ]
    links = [main.get_by_role("link", name=name, exact=True) for name, _ in buttons]
    for link, (name, label) in zip(links, buttons, strict=True):
        shown = link.locator(".cal-label-phone")
        expect(shown).to_be_visible()
        expect(shown).to_have_text(label)
        if label != name:
            expect(link).to_have_attribute("title", name)
        assert_in_viewport(link, PHONE)
    assert_one_row(links)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # -- 2. The Staff page: the invitation starts on Practitioner; a receptionist's row shows
    #       "Receptionist" whole in its role list, on a desktop and on a phone. ---------------------
    page.set_viewport_size(DESKTOP)
    page.goto("/provider/staff")
    expect(page.get_by_label("Role", exact=True)).to_have_value("practitioner")
    page.get_by_label("Email address").fill("rita.desk@example.com")
    page.get_by_label("Role", exact=True).select_option("receptionist")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to rita.desk@example.com")).to_be_visible()
    role = page.get_by_label("Role of rita.desk@example.com")
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        expect(role).to_have_value("receptionist")
        room = role.evaluate(ROOM_FOR_TEXT)
        assert room["has"] >= room["needed"], f"'Receptionist' is cut at {viewport}: {room}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    browser_errors.assert_none()
