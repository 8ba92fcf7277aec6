"""Every button of the calendar's header and toolbar has a name (issue 45, item 7): screen readers
get its accessible name (its text less what is aria-hidden, or its aria-label); the ones that are
icons on a phone keep their full name as a tooltip (title) and show a short label under the icon
(.cal-label-phone), so a phone shows no unlabelled icon. Day and week views, every role's page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.platform.extensions import db
from tests.booking.helpers import make_bookable_venue
from tests.venues.staff_world import build_world

CONTROLS = {"a", "button"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Controls(HTMLParser):
    """Links and buttons inside the elements whose class includes one of ``areas``: their
    attributes, accessible text (not aria-hidden) and short phone label."""

    def __init__(self, areas: set[str]) -> None:
        super().__init__()
        self.areas = areas
        self.open: list[tuple[str, dict[str, str]]] = []
        self.controls: list[dict] = []
        self._control: dict | None = None

    def _inside(self, key: str, value: str | None = None) -> bool:
        return any(key in a and (value is None or value in a[key].split()) for _, a in self.open)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        in_area = any(self._inside("class", area) for area in self.areas)
        if tag in CONTROLS and in_area and self._control is None:
            self._control = {"tag": tag, "attrs": attributes, "name": "", "phone": "", "depth": len(self.open)}
            self.controls.append(self._control)
        if tag not in VOID:
            self.open.append((tag, attributes))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break
        if self._control is not None and len(self.open) <= self._control["depth"]:
            self._control = None

    def handle_data(self, data):
        if self._control is None:
            return
        hidden = any(a.get("aria-hidden") == "true" for _, a in self.open[self._control["depth"] :])
        if not hidden:
            self._control["name"] += data
        if self._inside("class", "cal-label-phone"):
            self._control["phone"] += data


def controls_of(page: str) -> list[dict]:
    parser = Controls({"cal-head-buttons", "cal-toolbar"})
    parser.feed(page)
    return parser.controls


def accessible_name(control: dict) -> str:
    return (control["attrs"].get("aria-label") or " ".join(control["name"].split())).strip()


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider, team=1)
    db.session.commit()
    return venue, service


@pytest.mark.parametrize("view", ["day", "week"])
def test_every_toolbar_button_has_a_name_and_every_icon_a_label(web, provider, salon, view):
    web.sign_in_as(provider)
    page = web.get(f"/provider/calendar?view={view}").get_data(as_text=True)
    controls = controls_of(page)
    names = [accessible_name(c) for c in controls]
    assert all(names), f"a control without a name: {controls}"
    for expected in ("Requests", "New booking", "Clients", "Check in", "Rescheduling policy", "Dashboard", "Today"):
        assert expected in names
    assert ("Previous day" if view == "day" else "Previous week") in names
    head = [c for c in controls if c["phone"].strip()]
    assert len(head) == 6  # the page's buttons, each an icon over a short label on a phone
    for control in head:  # the full name as a tooltip, unless the short label is the whole name
        assert control["attrs"].get("title") or control["phone"].strip() == accessible_name(control)


def test_the_new_booking_button_has_a_tooltip(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get("/provider/calendar").get_data(as_text=True)
    [new] = [c for c in controls_of(page) if "data-new-booking" in c["attrs"]]
    assert new["attrs"]["title"] == "New booking"
    assert new["phone"] == "New" and accessible_name(new) == "New booking"


@pytest.mark.parametrize("role", ["manager", "receptionist", "practitioner"])
def test_each_roles_calendar_names_its_buttons(ctx, web, make_user, customer, role):
    world = build_world(make_user, customer)
    db.session.commit()
    web.sign_in_as(world.people[role])
    response = web.get("/provider/calendar")
    assert response.status_code == 200
    controls = controls_of(response.get_data(as_text=True))
    assert controls and all(accessible_name(c) for c in controls)
