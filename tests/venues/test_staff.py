"""Staff logins (app/venues/staff.py, app/venues/views/staff.py, docs/staff-roles.md): the owner
invites by email, the link makes a login with its own password, the owner re-sends, changes the
role of and removes staff (their sessions end); a practitioner sees only their own bookings; the
audit log names the person who acted and their role."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User, UserSession
from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.venues import staff
from app.venues.models import StaffRole, VenueStaff
from app.venues.service import get_venue_for_owner
from tests.booking.test_check_in import move_to_today
from tests.conftest import Browser, IsolatedClient
from tests.factories import PASSWORD
from tests.venues.staff_world import build_world, make_staff

STAFF = "/provider/staff"
LINK = re.compile(r"https?://[^\s\"'<>]+/account/staff-invitation/[^\s\"'<>]+")
NEW_PASSWORD = "harbour-lantern-quince-77"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(ctx, make_user, customer):
    return build_world(make_user, customer)


@pytest.fixture
def mail(app, outbox):
    def sent_to(to: str) -> list:
        with app.app_context():
            run_pending_jobs()
            db.session.commit()
        return [message for message in outbox if to in message.to]

    return sent_to


def invitation_link(mail, email: str) -> str:
    messages = mail(email)
    assert messages, f"no email to {email}"
    return urlsplit(LINK.search(messages[-1].body)[0]).path


def invite(web, world, email: str, role: str = "receptionist", member: str = ""):
    web.sign_in_as(world.people["owner"])
    return web.post(STAFF, {"email": email, "role": role, "team_member_id": member})


def live_row(email: str) -> VenueStaff | None:
    return db.session.scalar(select(VenueStaff).where(VenueStaff.email == email, VenueStaff.removed_at.is_(None)))


# -- inviting and accepting ------------------------------------------------------------------


def test_the_owner_invites_and_the_link_makes_a_staff_login_that_signs_in_to_the_calendar(web, world, mail):
    response = invite(web, world, "rita@example.com")
    assert response.status_code == 303
    assert "Invitation sent to rita@example.com" in text(web.get(STAFF))
    path = invitation_link(mail, "rita@example.com")

    web.sign_out()
    page = web.get(path)
    assert page.status_code == 200
    assert "Receptionist" in text(page)
    accepted = web.post(path, {"name": "Rita Desk", "password": NEW_PASSWORD})
    assert accepted.status_code == 303

    user = db.session.scalar(select(User).where(User.email == "rita@example.com"))
    assert user.role == Role.STAFF
    assert live_row("rita@example.com").user_id == user.id
    signed_in = web.post("/account/sign-in", {"email": "rita@example.com", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/provider/calendar"
    assert web.get("/provider/calendar").status_code == 200
    # their own password, two-factor and sessions, on the account pages like anyone's
    assert web.get("/account/two-factor/setup").status_code == 200
    assert web.get("/account/devices").status_code == 200
    assert web.get(path).status_code == 410  # a used link


def test_a_used_expired_tampered_or_replaced_link_is_a_clear_410(web, world, mail, monkeypatch):
    invite(web, world, "sam@example.com")
    first = invitation_link(mail, "sam@example.com")
    web.post(f"{STAFF}/{live_row('sam@example.com').id}/resend")
    second = invitation_link(mail, "sam@example.com")
    web.sign_out()

    assert first != second
    replaced = web.get(first)
    assert replaced.status_code == 410
    assert "newer invitation replaced this link" in text(replaced)
    tampered = web.get(second[:-3] + "abc")
    assert tampered.status_code == 410
    assert "isn't valid" in text(tampered)
    assert web.get("/account/staff-invitation/" + "x" * 500).status_code == 404

    monkeypatch.setattr(staff, "INVITATION_DAYS", -1)
    expired = web.post(second, {"name": "Sam", "password": NEW_PASSWORD})
    assert expired.status_code == 410
    assert "expired" in text(expired)
    assert live_row("sam@example.com").accepted_at is None


def test_an_address_that_already_has_an_account_cant_be_reused(web, world, mail, customer):
    invite(web, world, customer.email)
    path = invitation_link(mail, customer.email)
    web.sign_out()

    assert "can't also be a staff login" in text(web.get(path))
    refused = web.post(path, {"name": "Chloe", "password": NEW_PASSWORD})
    assert refused.status_code == 409
    assert db.session.get(User, customer.id).role == Role.CUSTOMER
    assert live_row(customer.email).accepted_at is None


def test_a_weak_password_or_no_name_is_refused_and_nothing_changes(web, world, mail):
    invite(web, world, "pat@example.com")
    path = invitation_link(mail, "pat@example.com")
    web.sign_out()

    weak = web.post(path, {"name": "Pat", "password": "short"})
    assert weak.status_code == 422
    assert "at least 12 characters" in text(weak)
    nameless = web.post(path, {"name": "", "password": NEW_PASSWORD})
    assert nameless.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "pat@example.com")) is None


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"email": "not-an-email", "role": "receptionist"}, 422, "valid email"),
        ({"email": "a@example.com", "role": "janitor"}, 422, "Choose a role"),
        ({"email": "a@example.com", "role": "practitioner", "team_member_id": ""}, 422, "team members"),
        ({"email": "a@example.com", "role": "practitioner", "team_member_id": "999999"}, 422, "team members"),
        ({"email": "a@example.com", "role": "practitioner", "team_member_id": "abc"}, 400, "team member"),
    ],
)
def test_a_bad_invitation_is_refused_with_the_reason_and_sends_nothing(web, world, mail, form, status, message):
    web.sign_in_as(world.people["owner"])
    response = web.post(STAFF, form)

    assert response.status_code == status
    assert message in text(response)
    assert live_row("a@example.com") is None
    assert mail("a@example.com") == []


def test_inviting_the_same_address_twice_is_a_conflict(web, world):
    invite(web, world, "twice@example.com")
    again = invite(web, world, "TWICE@example.com")
    assert again.status_code == 409
    assert "already on your staff list" in text(again)


def test_another_venues_team_member_cant_be_made_a_practitioner(web, world):
    from_other_venue = _venue_of(world.people["other_owner"]).team[0].id
    response = invite(web, world, "x@example.com", "practitioner", str(from_other_venue))
    assert response.status_code == 422
    assert live_row("x@example.com") is None


def _venue_of(owner):
    return get_venue_for_owner(owner.id)


# -- changing and removing ------------------------------------------------------------------


def test_removing_a_member_ends_their_sessions_at_once(app, web, world):
    receptionist = world.people["receptionist"]
    theirs = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    theirs.sign_in_as(receptionist)
    assert theirs.get("/provider/calendar").status_code == 200

    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == receptionist.id))
    web.sign_in_as(world.people["owner"])
    assert web.post(f"{STAFF}/{row.id}/remove").status_code == 303

    after = theirs.get("/provider/calendar")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/account/sign-in")
    live = db.session.scalars(
        select(UserSession).where(UserSession.user_id == receptionist.id, UserSession.ended_at.is_(None))
    )
    assert list(live) == []
    refused = theirs.post("/account/sign-in", {"email": receptionist.email, "password": PASSWORD})
    assert refused.status_code != 302 or refused.headers["Location"] != "/provider/calendar"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.removed")).actor_id == (
        world.people["owner"].id
    )


def test_the_owner_changes_a_role_and_the_new_role_applies(web, world):
    receptionist = world.people["receptionist"]
    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == receptionist.id))
    web.sign_in_as(receptionist)
    assert web.get("/provider/venue/services").status_code == 403

    web.sign_in_as(world.people["owner"])
    assert web.post(f"{STAFF}/{row.id}/role", {"role": "manager"}).status_code == 303
    web.sign_in_as(receptionist)
    assert web.get("/provider/venue/services").status_code == 200
    assert web.get(STAFF).status_code == 403  # managers don't manage staff


def test_another_venues_staff_row_is_not_found(web, world, make_user):
    other_venue = _venue_of(world.people["other_owner"])
    stranger = make_staff(make_user, other_venue, StaffRole.RECEPTIONIST)
    row = db.session.scalar(select(VenueStaff).where(VenueStaff.user_id == stranger.id))
    web.sign_in_as(world.people["owner"])

    for action in ("remove", "resend", "role"):
        assert web.post(f"{STAFF}/{row.id}/{action}", {"role": "manager"}).status_code == 404
    assert db.session.get(VenueStaff, row.id).removed_at is None


# -- what a practitioner sees ----------------------------------------------------------------


def test_a_practitioner_sees_only_their_own_bookings(web, world):
    web.sign_in_as(world.people["practitioner"])
    own, others = world.own_booking, world.others_booking
    day = own.starts_at.date().isoformat()

    for query in (f"?view=day&date={day}", f"?view=day&date={day}&member={others.team_member_id}"):
        page = text(web.get("/provider/calendar" + query))
        assert f"/provider/bookings/{own.id}" in page
        assert f"/provider/bookings/{others.id}" not in page
    assert web.get(f"/provider/bookings/{own.id}").status_code == 200
    assert web.get(f"/provider/bookings/{others.id}").status_code == 404
    assert web.post(f"/provider/bookings/{others.id}/complete").status_code == 404


def test_the_receptionist_sees_every_booking(web, world):
    web.sign_in_as(world.people["receptionist"])
    day = world.own_booking.starts_at.date().isoformat()
    page = text(web.get(f"/provider/calendar?view=day&date={day}"))
    assert f"/provider/bookings/{world.own_booking.id}" in page
    assert f"/provider/bookings/{world.others_booking.id}" in page
    assert web.get(f"/provider/bookings/{world.others_booking.id}").status_code == 200


# -- the audit log names who acted -----------------------------------------------------------


def test_a_receptionists_check_in_is_logged_with_their_id_and_role(web, world):
    receptionist = world.people["receptionist"]
    booking = move_to_today(world.own_booking)
    web.sign_in_as(receptionist)

    assert web.post("/provider/check-in", {"code": booking.reference}).status_code == 200

    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "booking.check_in", AuditEntry.subject_id == booking.id)
    )
    assert entry.actor_id == receptionist.id
    assert entry.data["actor_role"] == "receptionist"
    page = text(web.get(f"/provider/bookings/{booking.id}"))
    assert f"by {receptionist.name} (receptionist)" in page


def test_the_admin_audit_log_shows_the_actor_and_their_role(web, world, admin):
    receptionist = world.people["receptionist"]
    booking = move_to_today(world.own_booking)
    web.sign_in_as(receptionist)
    web.post("/provider/check-in", {"code": booking.reference})

    web.sign_in_as(admin)
    log = text(web.get("/admin/audit?subject=booking"))
    assert receptionist.name in log
    assert "data-actor-role>receptionist<" in log


def test_the_owners_actions_are_logged_as_the_owners(web, world):
    web.sign_in_as(world.people["owner"])
    web.post("/provider/calendar/feed")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "venue.calendar_feed_created"))
    assert entry.actor_id == world.people["owner"].id
    assert entry.data["actor_role"] == "owner"


# -- navigation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("owner", ["Earnings", "Payouts", "Staff", "My venue"], []),
        ("manager", ["My venue", "Promo codes"], ["Earnings", "Payouts", ">Staff<"]),
        ("receptionist", ["Check in"], ["My venue", "Earnings", "Payouts", "Promo codes", ">Staff<"]),
        ("practitioner", ["Calendar"], ["My venue", "Check in", "Earnings", "Payouts", "Promo codes", "Block time"]),
    ],
)
def test_the_navigation_shows_only_what_the_role_may_open(web, world, role, shown, hidden):
    web.sign_in_as(world.people[role])
    nav = text(web.get("/provider/calendar"))
    for label in shown:
        assert label in nav
    for label in hidden:
        assert label not in nav
