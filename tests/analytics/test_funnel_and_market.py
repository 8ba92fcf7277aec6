"""The search-to-booking funnel (counted in memory, written as UPSERTs, no personal data) and
the marketplace's report for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.analytics import funnel
from app.analytics.market_reports import market_report
from app.analytics.models import FunnelDay, ZeroSearch
from app.analytics.periods import Period
from app.platform.extensions import db
from tests.analytics.world import add_booking, at, build, refresh
from tests.booking.helpers import book, future_slot
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def _empty_counters():
    funnel.take()
    yield
    funnel.take()


def _flush():
    db.session.flush()
    funnel.flush(db.session.connection())
    db.session.expire_all()


def _counts() -> dict[str, int]:
    today = datetime.now(UTC).date()
    return {row.step: row.count for row in db.session.scalars(select(FunnelDay).where(FunnelDay.day == today))}


def test_search_text_is_counted_normalized_and_without_who_searched():
    assert funnel.normalize("  Hot   STONE\tmassage ") == "hot stone massage"
    assert len(funnel.normalize("x" * 500)) == 100
    assert {c.name for c in FunnelDay.__table__.columns} == {"day", "step", "count"}
    assert {c.name for c in ZeroSearch.__table__.columns} == {"day", "query", "count"}
    with pytest.raises(ValueError, match="unknown funnel step"):
        funnel.count("hovered")


def _added(before: dict[str, int]) -> dict[str, int]:
    """What the day's counts gained since ``before`` (other tests' servers may have counted too)."""
    return {step: n - before.get(step, 0) for step, n in _counts().items() if n != before.get(step, 0)}


def test_searches_venue_views_and_empty_searches_are_counted_and_flushed(ctx, client, make_user):
    world = build(make_user)
    before = _counts()
    today = datetime.now(UTC).date()
    zero_before = getattr(db.session.get(ZeroSearch, (today, "zzqqxx nothing")), "count", 0)
    assert client.get("/search?q=zzqqxx+nothing").status_code == 200
    assert client.get("/search?q=ZZQQXX   nothing").status_code == 200
    assert client.get(f"/venues/{world.venue.slug}").status_code == 200
    steps, zero = funnel.pending()
    today = datetime.now(UTC).date()
    assert steps == {(today, "search"): 2, (today, "venue_view"): 1}
    assert zero == {(today, "zzqqxx nothing"): 2}
    _flush()
    assert _added(before) == {"search": 2, "venue_view": 1}
    assert db.session.get(ZeroSearch, (today, "zzqqxx nothing")).count == zero_before + 2
    client.get(f"/venues/{world.venue.slug}")
    _flush()  # a second flush adds to the day's row
    assert _added(before) == {"search": 2, "venue_view": 2}
    assert funnel.pending() == ({}, {})


def test_a_page_served_from_the_page_cache_is_counted_too(ctx, client, make_user, page_cache):
    world = build(make_user)
    first = client.get(f"/venues/{world.venue.slug}")
    second = client.get(f"/venues/{world.venue.slug}")
    assert second.headers.get("X-Page-Cache") == "hit", first.headers.get("X-Page-Cache")
    empty = client.get("/search?q=qqzzyy")
    again = client.get("/search?q=qqzzyy")
    assert again.headers.get("X-Page-Cache") == "hit" and again.headers["X-Search-Total"] == "0", empty.headers
    steps, zero = funnel.pending()
    today = datetime.now(UTC).date()
    assert steps[(today, "venue_view")] == 2 and steps[(today, "search")] == 2
    assert zero[(today, "qqzzyy")] == 2


def test_a_cart_add_a_checkout_and_a_payment_are_counted(ctx, web, make_user, customer):
    world = build(make_user)
    web.sign_in_as(customer)
    start = future_slot(days=4, hour=11)
    token = csrf_token(web.client, "/cart")
    added = web.client.post(
        "/cart/items",
        data={
            "csrf_token": token,
            "service_id": str(world.service.id),
            "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "team_member_id": "",
            "quantity": "1",
        },
    )
    assert added.status_code < 400
    checkout = web.client.post("/checkout", data={"csrf_token": token})
    assert checkout.status_code == 303 and "/orders/" in checkout.location
    steps, _ = funnel.pending()
    today = datetime.now(UTC).date()
    assert steps[(today, "cart_add")] == 1 and steps[(today, "checkout")] == 1
    book(customer, world.service, future_slot(days=5, hour=11))  # paid: counted in its transaction
    db.session.expire_all()
    assert _counts().get("paid", 0) >= 1


def test_a_refused_cart_add_is_not_counted(ctx, web, make_user, customer):
    build(make_user)
    web.sign_in_as(customer)
    token = csrf_token(web.client, "/cart")
    assert web.client.post("/cart/items", data={"csrf_token": token, "service_id": "x"}).status_code >= 400
    assert funnel.pending() == ({}, {})


def test_old_empty_searches_are_forgotten(ctx):
    today = datetime.now(UTC).date()
    funnel.count_zero_search("old", now=datetime.now(UTC) - timedelta(days=200))
    funnel.count_zero_search("new")
    _flush()
    assert funnel.forget_old_searches(180, today=today) >= 1
    kept = {(z.day, z.query) for z in db.session.scalars(select(ZeroSearch))}
    assert (today, "new") in kept
    assert all(day >= today - timedelta(days=180) for day, _ in kept)


def test_the_market_report_counts_signups_listings_money_funnel_and_empty_searches(ctx, make_user):
    world = build(make_user)
    today = world.today
    add_booking(world, at(today - timedelta(days=1), 10), price=7000, refund=1000)
    add_booking(world, at(today - timedelta(days=40), 10), price=5000)
    refresh()
    world.venue.submitted_at = world.venue.approved_at = datetime.now(UTC) - timedelta(hours=1)
    period = Period(today - timedelta(days=29), today + timedelta(days=1), "30")
    counted_before = {s.step: s.count for s in market_report(period).funnel}
    funnel.count("search")
    funnel.count("search")
    funnel.count("venue_view")
    funnel.count_zero_search("unicorn spa")
    _flush()
    funnel.count_paid()
    db.session.flush()
    report = market_report(period)
    assert report.signups_total >= 1  # the owner signed up today
    assert report.listings.submitted >= 1 and report.listings.approved >= 1 and report.listings.live >= 1
    gbp = next(m for m in report.money if m.currency == "GBP")
    assert (gbp.gmv_minor, gbp.refunds_minor) >= (7000, 1000)
    assert gbp.gmv_before_minor >= 5000
    counts = {s.step: s.count - counted_before[s.step] for s in report.funnel}
    assert counts["search"] == 2 and counts["venue_view"] == 1 and counts["paid"] == 1
    searches = counted_before["search"] + 2
    assert report.conversion() == pytest.approx((counted_before["paid"] + 1) / searches)
    assert any(query == "unicorn spa" for query, _ in report.zero_searches)


def test_the_admin_page_and_its_csv(ctx, web, admin, make_user):
    world = build(make_user)
    add_booking(world, at(world.today - timedelta(days=1), 10), price=7000)
    refresh()
    funnel.count_zero_search("=cmd|calc")
    _flush()
    web.sign_in_as(admin)
    html = web.client.get("/admin/analytics?preset=7").get_data(as_text=True)
    assert "Marketplace analytics" in html and 'role="img"' in html
    for name in ("summary", "signups", "money", "daily", "funnel", "zero_searches"):
        assert web.client.get(f"/admin/analytics.csv?table={name}").status_code == 200, name
    zero = web.client.get("/admin/analytics.csv?table=zero_searches").get_data(as_text=True)
    assert "'=cmd|calc" in zero  # a formula is never run by a spreadsheet
    assert web.client.get("/admin/analytics.csv?table=users").status_code == 404
    assert web.client.get("/admin/analytics?from=2026-01-10&to=2026-01-01").status_code == 400
    web.sign_in_as(world.venue.owner)
    assert web.client.get("/admin/analytics").status_code == 403
