"""The owner's Staff page form (issue 45, item 7): an invitation starts on the role that may do
least (practitioner), never Manager; a refused form keeps the role chosen; and the role lists
are as wide as their longest option ("Receptionist" whole, not cut to "Receptior")."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.venues.models import StaffRole
from tests.venues.staff_world import build_world

STAFF = "/provider/staff"


class Selects(HTMLParser):
    """Every <select>: its attributes, options (value, text) and the value of the one selected."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: dict[str, dict] = {}
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "select":
            self._select = {"attrs": attributes, "options": [], "selected": []}
            self.selects[attributes.get("id", "")] = self._select
        elif tag == "option" and self._select is not None:
            self._option = {"value": attributes.get("value", ""), "text": ""}
            self._select["options"].append(self._option)
            if "selected" in attributes:
                self._select["selected"].append(attributes.get("value", ""))

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None


def selects_of(response) -> dict[str, dict]:
    parser = Selects()
    parser.feed(response.get_data(as_text=True))
    return parser.selects


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


def test_the_invitation_starts_on_the_least_powerful_role(web, world):
    web.sign_in_as(world.people["owner"])
    role = selects_of(web.get(STAFF))["invite-role"]
    assert role["selected"] == [StaffRole.PRACTITIONER.value]
    assert {o["value"] for o in role["options"]} == {r.value for r in StaffRole}


def test_a_refused_invitation_keeps_the_role_chosen(web, world):
    web.sign_in_as(world.people["owner"])
    response = web.post(STAFF, {"email": "not-an-address", "role": "manager", "team_member_id": ""})
    assert response.status_code == 422
    assert selects_of(response)["invite-role"]["selected"] == ["manager"]


def test_the_role_lists_show_each_role_whole(web, world):
    web.sign_in_as(world.people["owner"])
    selects = selects_of(web.get(STAFF))
    rows = [s for key, s in selects.items() if key.startswith(("role-", "member-"))]
    assert len(rows) == 2 * 3  # manager, receptionist and practitioner: a role and a member list each
    roles = [selects["invite-role"], *(s for key, s in selects.items() if key.startswith("role-"))]
    for select in roles:
        assert [o["text"] for o in select["options"]] == ["Manager", "Receptionist", "Practitioner"]
    for select in [selects["invite-role"], *rows]:
        assert "width" not in select["attrs"].get("style", "")
    for select in rows:
        # In the row's inline form a select would shrink to its box; sized to its content it can't.
        assert {"w-auto", "flex-shrink-0"} <= set(select["attrs"]["class"].split())
