"""A service's payment terms in the provider's service form: pay in full, a deposit (percent
or fixed), or pay at the venue, and a no-show fee (app/venues/deposits.py)."""

from __future__ import annotations

import pytest

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.models import Service, Venue
from app.venues.service import create_venue
from tests.venues.test_dashboard_catalog import BASE, count, fresh, new_service, service_data, text


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    """The signed-in provider's draft venue."""
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


def test_a_percent_deposit_and_a_no_show_fee_are_saved(web, venue):
    response = web.post(
        f"{BASE}/services",
        service_data(payment_mode="deposit_percent", deposit_percent="20", no_show_fee_percent="50"),
    )
    assert response.status_code == 302
    [service] = fresh(Venue, venue.id).services
    assert (service.payment_mode, service.deposit_percent, service.deposit_fixed_minor) == ("deposit_percent", 20, None)
    assert service.no_show_fee_percent == 50
    page = text(web.get(f"{BASE}/services"))
    assert "20% deposit online, the rest at the venue" in page
    assert "50% no-show fee" in page


def test_a_fixed_deposit_is_read_in_major_units_and_shown_when_editing(web, venue):
    service = new_service(venue, price_minor=6000)
    db.session.commit()
    response = web.post(
        f"{BASE}/services/{service.id}", service_data(price="60.00", payment_mode="deposit_fixed", deposit_fixed="15")
    )
    assert response.status_code == 302
    service = fresh(Service, service.id)
    assert (service.payment_mode, service.deposit_fixed_minor, service.deposit_percent) == ("deposit_fixed", 1500, None)
    assert 'value="15.00"' in web.get(f"{BASE}/services/{service.id}").get_data(as_text=True)


def test_pay_at_the_venue_and_back_to_full(web, venue):
    service = new_service(venue)
    db.session.commit()
    assert web.post(f"{BASE}/services/{service.id}", service_data(payment_mode="at_venue")).status_code == 302
    assert fresh(Service, service.id).payment_mode == "at_venue"
    # an edit that doesn't mention the payment mode keeps it
    assert web.post(f"{BASE}/services/{service.id}", service_data(name="Renamed")).status_code == 302
    assert fresh(Service, service.id).payment_mode == "at_venue"
    assert web.post(f"{BASE}/services/{service.id}", service_data(payment_mode="full")).status_code == 302
    assert fresh(Service, service.id).payment_mode == "full"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"payment_mode": "instalments"}, "Choose how customers pay"),
        ({"payment_mode": "deposit_percent", "deposit_percent": ""}, "between 1% and 99%"),
        ({"payment_mode": "deposit_percent", "deposit_percent": "0"}, "between 1% and 99%"),
        ({"payment_mode": "deposit_percent", "deposit_percent": "100"}, "between 1% and 99%"),
        ({"payment_mode": "deposit_percent", "deposit_percent": "ten"}, "whole number"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed": ""}, "Deposit: Enter the price"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed": "-5"}, "can't be negative"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed": "0"}, "Enter the deposit"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed": "45.00"}, "less than the price"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed": "50"}, "less than the price"),
        ({"no_show_fee_percent": "101"}, "between 0% and 100%"),
        ({"no_show_fee_percent": "-1"}, "between 0% and 100%"),
    ],
)
def test_bad_payment_terms_are_refused_and_change_nothing(web, venue, fields, message):
    existing = new_service(venue, "Hot stone massage", price_minor=6000)
    db.session.commit()
    added = web.post(f"{BASE}/services", service_data(price="45.00", **fields))
    assert added.status_code == 422
    assert message in text(added)
    edited = web.post(f"{BASE}/services/{existing.id}", service_data(price="45.00", **fields))
    assert edited.status_code == 422
    assert message in text(edited)
    assert count(Service, venue) == 1
    kept = fresh(Service, existing.id)
    assert (kept.price_minor, kept.payment_mode, kept.no_show_fee_percent) == (6000, "full", None)


def test_lowering_the_price_under_a_fixed_deposit_is_refused(web, venue):
    service = new_service(venue, price_minor=6000, payment_mode="deposit_fixed", deposit_fixed_minor=2000)
    db.session.commit()
    response = web.post(f"{BASE}/services/{service.id}", service_data(price="15.00"))
    assert response.status_code == 422
    assert "less than the price" in text(response)
    assert fresh(Service, service.id).price_minor == 6000


def test_the_service_rules_refuse_what_the_database_would(ctx, venue):
    with pytest.raises(ValidationFailed, match="less than the price"):
        new_service(venue, price_minor=1000, payment_mode="deposit_fixed", deposit_fixed_minor=1000)
    with pytest.raises(ValidationFailed, match="1% and 99%"):
        new_service(venue, payment_mode="deposit_percent", deposit_percent=None)


def test_another_providers_service_cannot_be_edited(web, venue, ctx):
    from app.accounts.models import Role, User

    other_owner = User(email="other-owner@example.com", name="Other Owner", role=Role.PROVIDER)
    db.session.add(other_owner)
    db.session.flush()
    theirs = new_service(create_venue(other_owner, name="Elsewhere", category_id=None))
    db.session.commit()
    response = web.post(f"{BASE}/services/{theirs.id}", service_data(payment_mode="at_venue"))
    assert response.status_code == 404
    assert fresh(Service, theirs.id).payment_mode == "full"
