"""A venue's package pages (/provider/packages): the owner and managers make, change and switch
off their venue's packages, see what they sold, and refund a package's unused sessions (the
price times left/sessions, rounded down) through the gateway, once. Bad input is a 4xx with
the reason by its field and saves nothing; another venue's package or sold package is a 404;
the front desk and practitioners are refused."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.booking import cart
from app.checkout import checkout
from app.packages import service
from app.packages.models import Package, PackageHolding
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Refund
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.models import ServiceOption, StaffRole
from app.venues.service import save_service
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.conftest import Browser
from tests.payouts.helpers import connect
from tests.venues.staff_world import make_staff

LIST = "/provider/packages"
NEW = "/provider/packages/new"


@pytest.fixture
def venue_and_service(ctx, provider):
    venue, service_ = make_bookable_venue(provider, capacity=3)
    connect(venue)
    return venue, service_


@pytest.fixture
def package(venue_and_service) -> Package:
    venue, service_ = venue_and_service
    return service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id,
            option_id=None,
            name="Three calm hours",
            sessions=3,
            valid_days=180,
            price_minor=10000,
        ),
    )


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def form(service_, **fields) -> dict:
    return {
        "name": "Five massages",
        "service_id": str(service_.id),
        "option_id": "",
        "sessions": "5",
        "valid_days": "180",
        "price": "299.50",
        **fields,
    }


def paid_holding(customer, package: Package) -> PackageHolding:
    """A package bought and paid through the Demo gateway, as a customer pays."""
    holding = service.start_purchase(customer, package)
    assert pay_by_demo_card(holding.order) == "paid: bookings confirmed"
    db.session.flush()
    return holding


def use_one_session(customer, service_) -> None:
    """A checkout of one booking of the service: the package covers it (one session used)."""
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service_.id,
        starts_at=future_slot(days=4),
        quantity=1,
        team_member_id=None,
    )
    checkout.checkout(customer)
    db.session.flush()


def audit_actions(subject_type: str, subject_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.id)
        )
    )


# -- the list ---------------------------------------------------------------------------------------


def test_the_owner_sees_their_packages_with_the_usual_price(web, provider, package):
    web.sign_in_as(provider)
    response = web.get(LIST)
    page = html(response)
    assert response.status_code == 200
    assert "Three calm hours" in page
    assert "3 sessions of Deep tissue massage, to use within 180 days" in page
    assert "£100.00" in page and "£180.00" in page  # the price, and 3 × £60 one by one
    assert "New package" in page and "None sold yet." in page
    assert 'href="/provider/packages"' in html(web.get("/provider"))  # the navigation's link


# -- making and changing one ------------------------------------------------------------------------


def test_the_owner_creates_a_package(web, provider, venue_and_service):
    venue, service_ = venue_and_service
    web.sign_in_as(provider)
    assert web.get(NEW).status_code == 200
    response = web.post(NEW, form(service_))
    assert response.status_code == 303 and response.headers["Location"].endswith(LIST)
    db.session.expire_all()
    package = db.session.scalar(select(Package).where(Package.venue_id == venue.id))
    assert (package.name, package.sessions, package.valid_days, package.price_minor, package.option_id) == (
        "Five massages",
        5,
        180,
        29950,
        None,
    )
    assert package.is_active and package.currency == venue.currency
    assert audit_actions("package", package.id) == ["package.create"]
    assert "Package “Five massages” created." in html(web.get(LIST))


def test_the_owner_edits_a_package(web, provider, venue_and_service, package):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    page = html(web.get(f"/provider/packages/{package.id}/edit"))
    assert 'value="Three calm hours"' in page and 'value="100"' in page
    response = web.post(
        f"/provider/packages/{package.id}/edit", form(service_, name="Ten calm hours", sessions="10", price="300")
    )
    assert response.status_code == 303
    db.session.expire_all()
    package = db.session.get(Package, package.id)
    assert (package.name, package.sessions, package.price_minor) == ("Ten calm hours", 10, 30000)
    assert audit_actions("package", package.id) == ["package.update"]


def test_a_package_of_one_option(web, provider, venue_and_service):
    venue, service_ = venue_and_service
    option = ServiceOption(service_id=service_.id, name="90 min", price_minor=9000, duration_minutes=90, position=0)
    db.session.add(option)
    db.session.flush()
    web.sign_in_as(provider)
    assert "90 min · £90.00" in html(web.get(NEW))
    response = web.post(NEW, form(service_, option_id=str(option.id)))
    assert response.status_code == 303, html(response)
    db.session.expire_all()
    assert db.session.scalar(select(Package.option_id).where(Package.venue_id == venue.id)) == option.id


def test_switching_a_package_off_and_on(web, provider, package):
    web.sign_in_as(provider)
    response = web.post(f"/provider/packages/{package.id}/active", {"active": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Package, package.id).is_active is False
    assert "is switched off: no longer sold" in html(web.get(LIST))
    assert service.offers_of(package.venue_id) == []
    web.post(f"/provider/packages/{package.id}/active", {"active": "1"})
    db.session.expire_all()
    assert db.session.get(Package, package.id).is_active is True
    assert audit_actions("package", package.id) == ["package.deactivate", "package.reactivate"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sessions": "1"}, "A package has 2 to 50 sessions."),
        ({"sessions": "51"}, "A package has 2 to 50 sessions."),
        ({"sessions": "five"}, "Enter the number of sessions as a whole number"),
        ({"valid_days": "6"}, "A package lasts 7 to 1095 days."),
        ({"valid_days": "1096"}, "A package lasts 7 to 1095 days."),
        ({"valid_days": "90.5"}, "Enter the number of days as a whole number"),
        ({"price": "lots"}, "Enter the price in pounds, like 300 or 299.50."),
        ({"price": "12.345"}, "Enter the price in pounds, like 300 or 299.50."),
        ({"price": "0"}, "Enter a price for the whole package."),
        ({"price": ""}, "Enter a price for the whole package."),
        ({"name": "   "}, "Give the package a name of up to 120 characters."),
        ({"service_id": ""}, "Choose one of your services."),
        ({"option_id": "x"}, "Choose an option of that service, or any option."),
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
    assert count(Package) == 0


def test_another_venues_service_is_refused(web, provider, venue_and_service, make_user):
    _other_venue, others_service = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    web.sign_in_as(provider)
    response = web.post(NEW, form(others_service))
    assert response.status_code == 422 and "Choose one of your services." in html(response)
    db.session.expire_all()
    assert count(Package) == 0


def test_an_option_of_another_service_is_refused(web, provider, venue_and_service):
    venue, service_ = venue_and_service
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=45,
        price_minor=4500,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    option = ServiceOption(service_id=facial.id, name="Long", price_minor=7000, duration_minutes=75, position=0)
    db.session.add(option)
    db.session.flush()
    web.sign_in_as(provider)
    response = web.post(NEW, form(service_, option_id=str(option.id)))
    assert response.status_code == 422
    assert "Choose an option of that service, or any option." in html(response)
    db.session.expire_all()
    assert count(Package) == 0


def test_a_refused_edit_changes_nothing(web, provider, venue_and_service, package):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    response = web.post(f"/provider/packages/{package.id}/edit", form(service_, name="Renamed", sessions="99"))
    assert response.status_code == 422 and "A package has 2 to 50 sessions." in html(response)
    db.session.expire_all()
    package = db.session.get(Package, package.id)
    assert (package.name, package.sessions) == ("Three calm hours", 3)
    assert audit_actions("package", package.id) == []


def test_csrf_is_required(web, provider, venue_and_service):
    _venue, service_ = venue_and_service
    web.sign_in_as(provider)
    assert web.post(NEW, form(service_), csrf=False).status_code == 400
    db.session.expire_all()
    assert count(Package) == 0


# -- what was sold, and refunds ---------------------------------------------------------------------


def test_the_sold_table_and_a_refund_of_the_unused_sessions(web, provider, customer, venue_and_service, package):
    _venue, service_ = venue_and_service
    holding = paid_holding(customer, package)
    use_one_session(customer, service_)
    web.sign_in_as(provider)
    page = html(web.get(LIST))
    assert "Chloe Customer" in page and "1 / 3" in page and "Active" in page
    assert "Refund 2 unused sessions (£66.66)" in page  # £100 × 2/3, rounded down

    response = web.post(f"/provider/packages/sold/{holding.id}/refund")
    assert response.status_code == 303, html(response)
    db.session.expire_all()
    (refund,) = db.session.scalars(select(Refund))
    assert refund.amount_minor == 10000 * 2 // 3 == 6666
    assert refund.reason == "Unused package sessions (Three calm hours)"
    holding = db.session.get(PackageHolding, holding.id)
    assert holding.refunded_at is not None and holding.refunded_minor == 6666
    assert audit_actions("package_holding", holding.id) == ["package.refund"]
    page = html(web.get(LIST))
    assert "Refunded £66.66 for 2 unused sessions." in page
    assert "data-refund-package" not in page and "Refunded" in page

    again = web.post(f"/provider/packages/sold/{holding.id}/refund")
    assert again.status_code == 409 and "This package was refunded already." in html(again)
    db.session.expire_all()
    assert count(Refund) == 1


def test_a_package_with_every_session_used_has_nothing_to_refund(web, provider, customer, venue_and_service):
    venue, service_ = venue_and_service
    two = service.save_offer(
        venue,
        service.OfferInput(
            service_id=service_.id, option_id=None, name="Two", sessions=2, valid_days=30, price_minor=8000
        ),
    )
    holding = paid_holding(customer, two)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service_.id,
        starts_at=future_slot(days=4),
        quantity=2,
        team_member_id=None,
    )
    checkout.checkout(customer)
    db.session.flush()
    web.sign_in_as(provider)
    assert "data-refund-package" not in html(web.get(LIST))
    response = web.post(f"/provider/packages/sold/{holding.id}/refund")
    assert response.status_code == 409 and "Every session of this package is used" in html(response)
    db.session.expire_all()
    assert count(Refund) == 0 and db.session.get(PackageHolding, holding.id).refunded_at is None


# -- who may ----------------------------------------------------------------------------------------


def test_another_provider_finds_none_of_this_venues_packages(app, customer, venue_and_service, package, make_user):
    holding = paid_holding(customer, package)
    other = make_user(role="provider", name="Otto Other")
    make_bookable_venue(other, name="Other Rooms")
    stranger = Browser.own(app, other)
    _venue, service_ = venue_and_service
    assert stranger.get(f"/provider/packages/{package.id}/edit").status_code == 404
    assert stranger.post(f"/provider/packages/{package.id}/edit", form(service_)).status_code == 404
    assert stranger.post(f"/provider/packages/{package.id}/active", {"active": "0"}).status_code == 404
    assert stranger.post(f"/provider/packages/sold/{holding.id}/refund").status_code == 404
    assert "Three calm hours" not in html(stranger.get(LIST))
    db.session.expire_all()
    assert db.session.get(Package, package.id).is_active is True
    assert count(Refund) == 0


def test_a_manager_may_the_front_desk_and_practitioners_may_not(app, make_user, customer, venue_and_service, package):
    venue, service_ = venue_and_service
    holding = paid_holding(customer, package)
    manager = Browser.own(app, make_staff(make_user, venue, StaffRole.MANAGER))
    assert manager.get(LIST).status_code == 200
    member = venue.team[0].id if venue.team else None
    for role in (StaffRole.RECEPTIONIST, StaffRole.PRACTITIONER):
        if role == StaffRole.PRACTITIONER and member is None:
            member = add_team_member(venue, name="Therapist", title="", bio="", service_ids=[service_.id]).id
        person = make_staff(make_user, venue, role, member_id=member if role == StaffRole.PRACTITIONER else None)
        browser = Browser.own(app, person)
        assert browser.get(LIST).status_code == 403
        assert browser.get(NEW).status_code == 403
        assert browser.post(NEW, form(service_)).status_code == 403
        assert browser.post(f"/provider/packages/{package.id}/active", {"active": "0"}).status_code == 403
        assert browser.post(f"/provider/packages/sold/{holding.id}/refund").status_code == 403
    db.session.expire_all()
    assert count(Package) == 1 and count(Refund) == 0
