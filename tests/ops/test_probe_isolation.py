"""The synthetic probe stays out of everyone's way (docs/synthetic-probe.md): its own orders pay on
the Demo gateway where Stripe takes everyone else's money, the Demo checkout serves nobody else,
and its venue is left out of search, the sitemap and the analytics rollups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Role
from app.analytics import rollup
from app.analytics.models import MarketDay, VenueDay
from app.booking import cart
from app.booking.models import Order, OrderStatus
from app.checkout import checkout
from app.payments.demo_gateway import DemoGateway
from app.payments.models import Payment
from app.payments.service import gateway_for, start_payment
from app.platform.extensions import db
from search.pg_index import index_venues, reindex_all
from search.postgres import PostgresBackend
from search.types import SearchQuery
from tests.analytics.world import add_booking, at, build, refresh
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.conftest import Browser
from tests.ops.test_production_settings import production

PROBE_NAME = "CozyWish Probe"


@pytest.fixture
def probe_venue(ctx, make_user):
    venue, service = make_bookable_venue(make_user(role=Role.PROVIDER), name=PROBE_NAME)
    return venue, service


@pytest.fixture
def probe_customer(make_user):
    return make_user(role=Role.CUSTOMER, email="probe@example.com", name="CozyWish Probe")


@pytest.fixture
def live_site(app, monkeypatch, probe_venue, probe_customer):
    """A site where Stripe takes payments, in probe mode (PROBE_EMAIL written as people type it)."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_probe_isolation")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # never reached
    monkeypatch.setitem(app.config, "PROBE_VENUE_SLUG", probe_venue[0].slug)
    monkeypatch.setitem(app.config, "PROBE_EMAIL", " Probe@Example.com ")
    return app


def held_order(customer, service, *, days: int = 3) -> Order:
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=days),
        quantity=1,
        team_member_id=None,
    )
    return checkout.checkout(customer)


# -- payments ----------------------------------------------------------------------------------------


def test_only_the_probe_customers_order_at_the_probe_venue_pays_on_the_demo_gateway(
    live_site, probe_venue, probe_customer, customer, provider, monkeypatch
):
    _venue, probe_service = probe_venue
    _real, real_service = make_bookable_venue(provider, name="Calm Rooms")

    probe_order = held_order(probe_customer, probe_service)
    payment = start_payment(probe_order)
    assert payment.gateway == "demo" and "/payments/demo/" in payment.checkout_url

    assert gateway_for(held_order(customer, probe_service, days=4)).name == "stripe"  # someone else, same venue
    assert gateway_for(held_order(probe_customer, real_service)).name == "stripe"  # the probe, a real venue
    monkeypatch.setitem(live_site.config, "PROBE_EMAIL", None)  # probe mode needs both settings
    assert gateway_for(probe_order).name == "stripe"


def test_with_stripe_on_the_demo_checkout_refuses_every_order_but_the_probes(
    live_site, probe_venue, probe_customer, customer
):
    _venue, service = probe_venue
    probe_payment = start_payment(held_order(probe_customer, service))
    # A Demo session for someone else's order (as from before Stripe was configured).
    other_order = held_order(customer, service, days=4)
    other_payment = start_payment(other_order, gateway=DemoGateway())
    db.session.commit()

    other = Browser.own(live_site, customer)
    assert other.get(f"/payments/demo/{other_payment.session_id}").status_code == 404
    paid = other.post(f"/payments/demo/{other_payment.session_id}/pay", {"card_number": "4242 4242 4242 4242"})
    assert paid.status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, other_order.id).status == OrderStatus.PENDING_PAYMENT  # nothing changed
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == other_order.id)) == 1

    probe = Browser.own(live_site, probe_customer)
    assert probe.get(f"/payments/demo/{probe_payment.session_id}").status_code == 200
    assert other.get(f"/payments/demo/{probe_payment.session_id}").status_code == 404  # not theirs either


def test_production_serves_the_demo_checkout_only_in_probe_mode(database_url, tmp_path):
    assert "demo" not in production(database_url, tmp_path).blueprints
    assert "demo" not in production(database_url, tmp_path, PROBE_VENUE_SLUG="cozywish-probe").blueprints
    both = production(database_url, tmp_path, PROBE_VENUE_SLUG="cozywish-probe", PROBE_EMAIL="probe@example.com")
    assert "demo" in both.blueprints


# -- search and the sitemap ----------------------------------------------------------------------------


def test_search_reindexing_and_the_sitemap_leave_the_probe_venue_out(app, client, monkeypatch, probe_venue, provider):
    probe, _service = probe_venue
    real, _ = make_bookable_venue(provider, name="Calm Probe Rooms")
    index_venues([probe.id, real.id])
    backend = PostgresBackend()
    assert {hit.venue_id for hit in backend.search(SearchQuery(text="probe")).hits} == {probe.id, real.id}

    monkeypatch.setitem(app.config, "PROBE_VENUE_SLUG", probe.slug)
    index_venues([probe.id, real.id])  # a change to the venue: its row goes
    assert [hit.venue_id for hit in backend.search(SearchQuery(text="probe")).hits] == [real.id]
    assert not [term for term in backend.suggest("cozyw") if "cozywish" in term.lower()]

    index_venues([probe.id])
    db.session.execute(text("DELETE FROM venue_search WHERE venue_id = :id"), {"id": real.id})
    assert reindex_all() >= 1  # the full rebuild chooses the venues the same way
    indexed = set(db.session.scalars(text("SELECT venue_id FROM venue_search")))
    assert real.id in indexed and probe.id not in indexed

    db.session.commit()
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/venues/{real.slug}<" in sitemap and f"/venues/{probe.slug}<" not in sitemap


# -- analytics -----------------------------------------------------------------------------------------------


def test_the_rollup_and_the_market_days_leave_the_probe_venues_bookings_out(app, ctx, make_user, monkeypatch):
    real = build(make_user)
    probe = build(make_user, name=PROBE_NAME)
    day = real.today - timedelta(days=2)
    add_booking(real, at(day, 10), price=6000)
    add_booking(probe, at(day, 11), price=100, status="cancelled_by_customer", cancelled_hours_before=48, refund=100)
    refresh()
    market = db.session.scalar(select(MarketDay).where(MarketDay.day == day))
    assert (market.bookings, market.refunds_minor) == (2, 100)  # before the setting: counted

    monkeypatch.setitem(app.config, "PROBE_VENUE_SLUG", probe.venue.slug)
    assert rollup.rebuild_all() >= 2  # what was counted before is forgotten
    add_booking(probe, at(day, 12), price=100)  # and what comes later is never counted
    refresh()
    assert db.session.scalar(select(func.count()).select_from(VenueDay).where(VenueDay.venue_id == probe.venue.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(VenueDay).where(VenueDay.venue_id == real.venue.id)) == 1
    db.session.expire_all()
    market = db.session.scalar(select(MarketDay).where(MarketDay.day == day))
    assert (market.bookings, market.gmv_minor, market.refunds_minor) == (1, 6000, 0)
