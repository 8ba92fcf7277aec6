"""Memberships beyond their own pages (issue 47, item 8): the client book, the data export, the
public API and the venue's webhooks."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.clients.models import VenueClient
from app.memberships import cancelling, service
from app.platform.extensions import db
from app.privacy.exports import build_archive
from tests.memberships.test_memberships import join, plan, venue_and_service  # noqa: F401  (fixtures)


def test_the_client_card_shows_the_clients_membership(web, provider, customer, plan, venue_and_service):  # noqa: F811
    venue, _service = venue_and_service
    membership = join(customer, plan)
    cancelling.cancel_at_end(membership, customer, now=membership.created_at)
    client = db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue.id, VenueClient.user_id == customer.id)
    )
    if client is None:  # a membership alone makes no client: the desk adds them
        from app.clients import service as clients

        client = clients.add_client(venue.id, name=customer.name, email=customer.email)
        client.user_id = customer.id
    db.session.commit()
    web.sign_in_as(provider)
    page = unescape(web.get(f"/provider/clients/{client.id}").get_data(as_text=True))
    assert "data-client-memberships" in page and "Calm club" in page and "Ending on" in page


def test_the_data_export_lists_memberships_and_their_months(customer, plan):  # noqa: F811
    membership = join(customer, plan)
    with zipfile.ZipFile(io.BytesIO(build_archive(customer))) as archive:
        held = json.loads(archive.read("memberships.json"))
        months = json.loads(archive.read("membership_months.json"))
    assert [(m["id"], m["name"], m["status"]) for m in held] == [(membership.id, "Calm club", "active")]
    assert [(m["membership_id"], m["number"], m["status"]) for m in months] == [(membership.id, 1, "paid")]


def test_my_memberships_says_how_many_of_the_months_sessions_are_left(web, customer, plan, venue_and_service):  # noqa: F811
    from tests.booking.helpers import future_slot
    from tests.memberships.test_memberships import check_out

    _venue, service_ = venue_and_service
    join(customer, plan)
    check_out(customer, service_, future_slot(days=2))
    db.session.commit()
    web.sign_in_as(customer)
    page = unescape(web.get("/account/memberships").get_data(as_text=True))
    assert "This month: 1 of 2 sessions left" in page and "Book a session" in page


def test_erasing_the_account_ends_its_memberships_and_nothing_is_charged_again(customer, plan):  # noqa: F811
    from app.memberships.models import MembershipStatus
    from app.privacy.deletion import erase_account

    membership = join(customer, plan)
    erase_account(customer)
    db.session.flush()
    assert membership.status == MembershipStatus.CANCELLED
    assert service.renew_due(membership.current_period_end + timedelta(minutes=1)) == []
    assert len(service.periods_of(membership.id)) == 1


def test_the_booking_page_shows_the_member_price_to_everyone(client, plan, venue_and_service):  # noqa: F811
    venue, service_ = venue_and_service
    db.session.commit()
    page = unescape(client.get(f"/venues/{venue.slug}/book/{service_.id}").get_data(as_text=True))
    member = service.member_price(service_.price_minor, 10)
    assert f"£{member / 100:.2f} for Calm club members" in page


def test_a_months_sessions_are_not_a_package_sold_and_cannot_be_refunded_as_one(web, provider, customer, plan):  # noqa: F811
    from app.packages import service as packages
    from app.packages.models import PackageHolding
    from app.platform.errors import InvalidTransition

    join(customer, plan)
    holding = db.session.scalars(select(PackageHolding)).one()
    with pytest.raises(InvalidTransition, match="membership's sessions"):
        packages.check_refundable(holding, now=holding.paid_at)
    db.session.commit()
    web.sign_in_as(provider)
    page = unescape(web.get("/provider/packages").get_data(as_text=True))
    assert "this month's sessions" not in page
