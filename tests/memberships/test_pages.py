"""The membership pages (app/memberships/views/): a venue's owner and managers make, change and
switch off its plans and see its members; a customer joins through the Demo gateway, sees the
membership on My memberships and cancels it; the venue page lists the plans and each service's
member price, and the cart shows a member their price. Bad input is a 4xx with the reason and
changes nothing; another venue's plan and another customer's membership are 404s."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.booking.models import Order
from app.memberships import plans, service
from app.memberships.models import Membership, MembershipPlan, MembershipStatus
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.venues.lists import add_team_member
from app.venues.models import StaffRole
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.conftest import Browser
from tests.payouts.helpers import connect
from tests.venues.staff_world import make_staff

LIST = "/provider/memberships"
NEW = "/provider/memberships/new"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, service_ = make_bookable_venue(provider, capacity=3)
    connect(venue)
    return venue, service_


@pytest.fixture
def plan(venue_and_service) -> MembershipPlan:
    venue, service_ = venue_and_service
    return plans.save_plan(
        venue,
        plans.PlanInput(
            name="Calm club",
            price_minor=9900,
            included_service_id=service_.id,
            included_sessions=2,
            discount_percent=10,
        ),
    )


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def form(service_, **fields) -> dict:
    return {
        "name": "Glow club",
        "price": "49.50",
        "included_sessions": "1",
        "included_service_id": str(service_.id),
        "discount_percent": "15",
        **fields,
    }


def day(moment: datetime, venue) -> str:
    """A day as My memberships writes it: "27 May 2027", in the venue's zone."""
    local = moment.astimezone(venue_zone(venue)).date()
    return f"{local.day} {local:%b %Y}"


def joined(customer, plan) -> Membership:
    membership = service.start_membership(customer, plan)
    assert pay_by_demo_card(service.last_period(membership).order) == "paid: bookings confirmed"
    db.session.flush()
    return membership


def audit_actions(subject_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "membership_plan", AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.id)
        )
    )


# -- the venue's pages ------------------------------------------------------------------------------


def test_the_owner_sees_their_plans_and_members(web, provider, customer, plan):
    membership = joined(customer, plan)
    web.sign_in_as(provider)
    response = web.get(LIST)
    page = html(response)
    assert response.status_code == 200
    assert "Calm club" in page and "£99.00 a month" in page
    assert "2 × Deep tissue massage a month" in page and "10% off every treatment" in page
    assert "New membership" in page and "Chloe Customer" in page and "Active" in page
    zone = venue_zone(plan.venue)
    assert membership.current_period_end.astimezone(zone).strftime("%d %b %Y") in page  # paid until
    assert 'href="/provider/memberships"' in html(web.get("/provider"))  # the navigation's link


def test_the_owner_creates_a_plan(web, provider, venue_and_service):
    venue, service_ = venue_and_service
    web.sign_in_as(provider)
    assert web.get(NEW).status_code == 200
    response = web.post(NEW, form(service_))
    assert response.status_code == 303 and response.headers["Location"].endswith(LIST)
    db.session.expire_all()
    plan = db.session.scalar(select(MembershipPlan).where(MembershipPlan.venue_id == venue.id))
    assert (plan.name, plan.price_minor, plan.included_sessions, plan.included_service_id, plan.discount_percent) == (
        "Glow club",
        4950,
        1,
        service_.id,
        15,
    )
    assert plan.is_active and audit_actions(plan.id) == ["membership_plan.create"]
    assert "Membership “Glow club” created." in html(web.get(LIST))


def test_a_discount_only_plan_with_empty_sessions(web, provider, venue_and_service):
    venue, service_ = venue_and_service
    web.sign_in_as(provider)
    response = web.post(NEW, form(service_, included_sessions="", included_service_id="", discount_percent="20"))
    assert response.status_code == 303, html(response)
    db.session.expire_all()
    plan = db.session.scalar(select(MembershipPlan).where(MembershipPlan.venue_id == venue.id))
    assert (plan.included_sessions, plan.included_service_id, plan.discount_percent) == (0, None, 20)


def test_the_owner_edits_a_plan(web, provider, venue_and_service, plan):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    page = html(web.get(f"/provider/memberships/{plan.id}/edit"))
    assert 'value="Calm club"' in page and 'value="99"' in page
    response = web.post(f"/provider/memberships/{plan.id}/edit", form(service_, name="Calmer club", price="120"))
    assert response.status_code == 303
    db.session.expire_all()
    plan = db.session.get(MembershipPlan, plan.id)
    assert (plan.name, plan.price_minor, plan.discount_percent) == ("Calmer club", 12000, 15)
    assert audit_actions(plan.id) == ["membership_plan.update"]


def test_switching_a_plan_off_and_on(web, provider, plan):
    web.sign_in_as(provider)
    response = web.post(f"/provider/memberships/{plan.id}/active", {"active": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MembershipPlan, plan.id).is_active is False
    assert "is switched off: nobody new can join" in html(web.get(LIST))
    assert plans.plans_of(plan.venue_id) == []
    web.post(f"/provider/memberships/{plan.id}/active", {"active": "1"})
    db.session.expire_all()
    assert db.session.get(MembershipPlan, plan.id).is_active is True
    assert audit_actions(plan.id) == ["membership_plan.deactivate", "membership_plan.reactivate"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "Give the membership a name of up to 80 characters."),
        ({"price": ""}, "Enter the monthly price."),
        ({"price": "0"}, "Enter the monthly price."),
        ({"price": "lots"}, "Enter the price in pounds, like 99 or 99.50."),
        ({"price": "9.999"}, "Enter the price in pounds, like 99 or 99.50."),
        ({"included_sessions": "21"}, "Include 0 to 20 sessions a month."),
        ({"included_sessions": "two"}, "Enter the sessions a month as a whole number"),
        ({"included_service_id": ""}, "Choose which of your services the sessions are of."),
        ({"discount_percent": "51"}, "A member's discount is 0 to 50%."),
        ({"discount_percent": "ten"}, "Enter the discount as a whole number"),
    ],
)
def test_bad_input_is_refused_by_its_field_and_saves_nothing(web, provider, venue_and_service, fields, message):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    response = web.post(NEW, form(service_, **fields))
    assert response.status_code == 422
    page = html(response)
    assert message in page and "invalid-feedback" in page
    db.session.expire_all()
    assert count(MembershipPlan) == 0


def test_a_plan_that_gives_nothing_is_refused_above_the_form(web, provider, venue_and_service):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    response = web.post(NEW, form(service_, included_sessions="0", included_service_id="", discount_percent="0"))
    assert response.status_code == 422
    assert "A membership gives sessions each month, a discount, or both." in html(response)
    assert count(MembershipPlan) == 0


def test_another_venues_service_is_refused(web, provider, venue_and_service, make_user):
    _other, others_service = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    web.sign_in_as(provider)
    response = web.post(NEW, form(others_service))
    assert response.status_code == 422 and "Choose which of your services" in html(response)
    assert count(MembershipPlan) == 0


def test_a_refused_edit_changes_nothing(web, provider, venue_and_service, plan):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    response = web.post(f"/provider/memberships/{plan.id}/edit", form(service_, name="Renamed", discount_percent="99"))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(MembershipPlan, plan.id).name == "Calm club" and audit_actions(plan.id) == []


def test_another_provider_finds_none_of_this_venues_plans(app, venue_and_service, plan, make_user):
    other = make_user(role="provider", name="Otto Other")
    make_bookable_venue(other, name="Other Rooms")
    stranger = Browser.own(app, other)
    _venue, service_ = venue_and_service
    assert stranger.get(f"/provider/memberships/{plan.id}/edit").status_code == 404
    assert stranger.post(f"/provider/memberships/{plan.id}/edit", form(service_)).status_code == 404
    assert stranger.post(f"/provider/memberships/{plan.id}/active", {"active": "0"}).status_code == 404
    assert "Calm club" not in html(stranger.get(LIST))
    db.session.expire_all()
    assert db.session.get(MembershipPlan, plan.id).is_active is True


def test_a_manager_may_the_front_desk_and_practitioners_may_not(app, make_user, venue_and_service, plan):
    venue, service_ = venue_and_service
    assert Browser.own(app, make_staff(make_user, venue, StaffRole.MANAGER)).get(LIST).status_code == 200
    member = add_team_member(venue, name="Therapist", title="", bio="", service_ids=[service_.id]).id
    for role in (StaffRole.RECEPTIONIST, StaffRole.PRACTITIONER):
        person = make_staff(make_user, venue, role, member_id=member if role == StaffRole.PRACTITIONER else None)
        browser = Browser.own(app, person)
        assert browser.get(LIST).status_code == 403
        assert browser.post(NEW, form(service_)).status_code == 403
        assert browser.post(f"/provider/memberships/{plan.id}/active", {"active": "0"}).status_code == 403
    db.session.expire_all()
    assert count(MembershipPlan) == 1 and db.session.get(MembershipPlan, plan.id).is_active


# -- joining, My memberships, cancelling ------------------------------------------------------------


def test_the_plan_page_asks_a_visitor_to_sign_in(web, plan):
    page = html(web.get(f"/memberships/{plan.id}"))
    assert "Calm club" in page and "£99.00 a month" in page and "Calm Rooms" in page
    assert "Renews each month until you cancel; cancel any time and it ends at the end of the month paid." in page
    assert "Sign in to join" in page and f"next=/memberships/{plan.id}" in page.replace("%2F", "/")
    response = web.post(f"/memberships/{plan.id}/join")
    target = urlsplit(response.location)
    assert target.path == "/account/sign-in" and parse_qs(target.query)["next"] == [f"/memberships/{plan.id}"]
    assert count(Membership) == 0


def test_joined_by_demo_card_then_cancelled(web, customer, plan):
    web.sign_in_as(customer)
    assert "data-membership-join" in html(web.get(f"/memberships/{plan.id}"))
    response = web.post(f"/memberships/{plan.id}/join")
    assert response.status_code == 303 and DEMO_PAGE_RE.search(response.location), html(response)
    membership = db.session.scalar(select(Membership))
    order = service.last_period(membership).order
    assert membership.status == MembershipStatus.PENDING and order.total_minor == 9900
    assert "Waiting for payment" in html(web.get("/account/memberships"))

    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.commit()
    back = web.get(f"/payments/return/{order.id}")  # the return page sends a membership to My memberships
    assert back.status_code == 303 and back.location.endswith("/account/memberships")
    db.session.expire_all()
    membership = db.session.get(Membership, membership.id)
    venue = plan.venue
    mine = html(web.get("/account/memberships"))
    assert f"Active, renews on {day(membership.current_period_end, venue)}" in mine
    assert "2 × Deep tissue massage a month" in mine and "10% off every treatment" in mine
    assert "1 month paid" in mine and "£99.00" in mine and f"/payments/receipts/{order.id}" in mine
    assert "data-membership-cancel" in mine

    again = web.post(f"/memberships/{plan.id}/join")
    assert again.status_code == 409 and "You're already a member of Calm Rooms." in html(again)
    assert count(Membership) == 1

    cancelled = web.post(f"/account/memberships/{membership.id}/cancel")
    assert cancelled.status_code == 303 and cancelled.location.endswith("/account/memberships")
    mine = html(web.get(cancelled.location))
    end = day(membership.current_period_end, venue)
    assert f"Your membership ends on {end}; you keep its benefits until then." in mine
    assert f"Ending on {end}" in mine and "data-membership-cancel" not in mine
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).cancel_at_period_end is True
    twice = web.post(f"/account/memberships/{membership.id}/cancel")
    assert twice.status_code == 409 and "This membership is already cancelled." in html(twice)


def test_a_pending_membership_cancelled_ends_at_once(web, customer, plan):
    membership = service.start_membership(customer, plan)
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post(f"/account/memberships/{membership.id}/cancel")
    assert response.status_code == 303
    assert "Your membership has ended." in html(web.get("/account/memberships"))
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).status == MembershipStatus.CANCELLED


def test_another_customers_membership_is_not_found(web, customer, plan, make_user):
    membership = joined(customer, plan)
    web.sign_in_as(make_user(role="customer", name="Other Customer"))
    assert web.post(f"/account/memberships/{membership.id}/cancel").status_code == 404
    assert "Calm club" not in html(web.get("/account/memberships"))
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).cancel_at_period_end is False


def test_a_switched_off_plan_is_refused_and_nothing_held(web, customer, plan):
    plan.is_active = False
    db.session.flush()
    web.sign_in_as(customer)
    assert "isn't offered any more" in html(web.get(f"/memberships/{plan.id}"))
    response = web.post(f"/memberships/{plan.id}/join")
    assert response.status_code == 409 and "This membership isn't offered any more." in html(response)
    assert count(Membership) == 0 and count(Order) == 0


def test_an_unverified_customer_is_refused(web, customer, plan):
    customer.email_verified_at = None
    db.session.flush()
    web.sign_in_as(customer)
    response = web.post(f"/memberships/{plan.id}/join")
    assert response.status_code == 422 and "Confirm your email address before joining" in html(response)
    assert count(Membership) == 0


def test_my_bookings_links_to_my_memberships(web, customer):
    web.sign_in_as(customer)
    assert "data-my-memberships" in html(web.get("/bookings"))
    assert "You aren't a member anywhere yet." in html(web.get("/account/memberships"))


# -- member prices ----------------------------------------------------------------------------------


def test_the_venue_page_lists_the_plan_and_the_member_price(web, plan, venue_and_service):
    venue, _service = venue_and_service
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "data-memberships" in page and "Calm club" in page and "£99.00 a month" in page
    assert f"/memberships/{plan.id}" in page
    assert "£54.00 for Calm club members" in page  # £60 less 10%
    plan.is_active = False
    db.session.commit()
    page = html(web.get(f"/venues/{venue.slug}"))
    assert "data-memberships" not in page and "for Calm club members" not in page


def test_the_cart_shows_a_member_their_price_and_nobody_else(app, web, customer, plan, venue_and_service, make_user):
    _venue, service_ = venue_and_service
    plan.included_sessions, plan.included_service_id = 0, None  # the discount alone: no session covers the item
    db.session.flush()
    joined(customer, plan)
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service_, future_slot())).status_code == 303
    assert "Member price at checkout: £54.00 (Calm club, 10% off)" in html(web.get("/cart"))

    other = Browser.own(app, make_user(role="customer", name="Not A Member"))
    assert other.post("/cart/items", cart_form(service_, future_slot())).status_code == 303
    page = html(other.get("/cart"))
    assert "Deep tissue massage" in page and "Member price" not in page


def test_a_member_whose_session_covers_the_item_sees_no_member_price(web, customer, plan, venue_and_service):
    _venue, service_ = venue_and_service
    joined(customer, plan)
    db.session.commit()
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service_, future_slot())).status_code == 303
    page = html(web.get("/cart"))
    assert "data-package-note" in page and "Member price" not in page


def test_a_visitor_sees_no_member_price_in_the_cart(web, plan, venue_and_service):
    _venue, service_ = venue_and_service
    assert web.post("/cart/items", cart_form(service_, future_slot())).status_code == 303
    assert "Member price" not in html(web.get("/cart"))
