"""Earnings: the provider's page per month and week, each booking's line, the CSV export, who
can see what, and the admins' revenue, balances and commission rates."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.payments.models import Payment
from app.payments.refunds import request_refund
from app.payouts.models import CommissionRate
from app.platform.extensions import db
from app.venues.models import Category
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payouts.helpers import connect


@pytest.fixture
def sold(ctx, customer, provider, run_jobs):
    """A venue with one paid booking (£60, 15% commission), and a refund of £30 on it."""
    venue, service = make_bookable_venue(provider)
    connect(venue)
    booking = book(customer, service, future_slot())
    payment = db.session.scalar(select(Payment).where(Payment.order_id == booking.order_id))
    db.session.commit()
    run_jobs()
    return venue, booking, payment


def refund_half(sold, run_jobs):
    _, booking, payment = sold
    request_refund(payment, 3000, reason="half", booking_id=booking.id)
    db.session.commit()
    run_jobs()


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_earnings_page_shows_the_period_and_each_booking(web, provider, sold):
    _, booking, _ = sold
    web.sign_in_as(provider)
    response = web.get("/provider/earnings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for amount in ("£60.00", "£9.00", "£51.00"):
        assert amount in html
    assert f'data-booking="{booking.reference}"' in html
    assert "Download CSV" in html

    weekly = web.get("/provider/earnings?period=week").get_data(as_text=True)
    assert "Week of" in weekly and f'data-booking="{booking.reference}"' in weekly


def test_refunds_lower_net_and_give_back_commission_in_proportion(web, provider, sold, run_jobs):
    refund_half(sold, run_jobs)
    web.sign_in_as(provider)
    html = web.get("/provider/earnings").get_data(as_text=True)
    # gross £60, refund £30: £25.50 of the £51 transfer comes back, £4.50 of commission is returned.
    for amount in ("£60.00", "£4.50", "£30.00", "£25.50"):
        assert amount in html


def test_the_csv_has_a_header_and_one_line_per_booking(web, provider, sold, run_jobs):
    venue, booking, _ = sold
    refund_half(sold, run_jobs)
    web.sign_in_as(provider)
    response = web.get("/provider/earnings.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="earnings-{venue.slug}-all.csv"'
    header, *lines = csv_rows(response)
    assert header == [
        "paid_on",
        "reference",
        "service",
        "appointment",
        "status",
        "currency",
        "gross",
        "commission",
        "refunded",
        "net",
    ]
    assert len(lines) == 1
    line = dict(zip(header, lines[0], strict=True))
    assert line["reference"] == booking.reference and line["currency"] == "GBP"
    assert (line["gross"], line["commission"], line["refunded"], line["net"]) == ("60.00", "4.50", "30.00", "25.50")


def test_the_csv_of_one_period_holds_only_that_period(web, provider, sold):
    _, booking, _ = sold
    web.sign_in_as(provider)
    paid = booking.order.paid_at.date()
    this_month = web.get(f"/provider/earnings.csv?period=month&start={paid.isoformat()}")
    assert [row[1] for row in csv_rows(this_month)[1:]] == [booking.reference]
    last_year = web.get(f"/provider/earnings.csv?period=month&start={paid.replace(year=paid.year - 1).isoformat()}")
    assert csv_rows(last_year) == [csv_rows(this_month)[0]]


@pytest.mark.parametrize("query", ["?period=year", "?period=month&start=yesterday", "?period=week&start=2026-13-01"])
def test_a_bad_period_or_date_is_a_400(web, provider, sold, query):
    web.sign_in_as(provider)
    assert web.get(f"/provider/earnings{query}").status_code == 400
    assert web.get(f"/provider/earnings.csv{query}").status_code == 400


def test_a_provider_sees_only_their_own_venue(web, make_user, sold):
    _, booking, _ = sold
    other = make_user(role="provider")
    make_bookable_venue(other, name="Another Place")
    db.session.commit()
    web.sign_in_as(other)
    html = web.get(f"/provider/earnings?venue_id={booking.venue_id}").get_data(as_text=True)
    assert booking.reference not in html and "No paid bookings yet" in html
    exported = web.get(f"/provider/earnings.csv?venue_id={booking.venue_id}")
    assert len(csv_rows(exported)) == 1  # the header only
    payouts = web.get("/provider/payouts").get_data(as_text=True)
    assert "£51.00" not in payouts


def test_the_earnings_fragment_for_htmx(web, provider, sold):
    web.sign_in_as(provider)
    response = web.get("/provider/earnings?period=week", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="earnings-body">') and "<html" not in html


def test_the_payouts_page_shows_the_balance(web, provider, sold):
    web.sign_in_as(provider)
    html = web.get("/provider/payouts").get_data(as_text=True)
    assert "£51.00" in html and "15%" in html


# -- admins --------------------------------------------------------------------------------------------


def test_admins_see_platform_revenue_and_each_venue_balance(web, admin, sold, run_jobs):
    venue, _, _ = sold
    refund_half(sold, run_jobs)
    web.sign_in_as(admin)
    response = web.get("/admin/earnings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "£4.50" in html  # commission kept after the refund
    assert f'data-venue="{venue.id}"' in html and "£25.50" in html and "Enabled" in html
    assert web.get("/admin/earnings?period=week").status_code == 200
    assert web.get("/admin/earnings?period=decade").status_code == 400


def test_providers_and_customers_cannot_open_admin_earnings(web, provider, customer):
    for user in (provider, customer):
        web.sign_in_as(user)
        assert web.get("/admin/earnings").status_code == 403
        assert web.get("/admin/commission").status_code == 403
        web.sign_out()


@pytest.fixture
def category(ctx):
    category = Category(slug="massage-rates", name="Massage rates", position=50)
    db.session.add(category)
    db.session.commit()
    return category


def rate_of(category) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(CommissionRate.rate_bp).where(CommissionRate.category_id == category.id))


def test_an_admin_sets_and_clears_a_category_commission(web, admin, category):
    web.sign_in_as(admin)
    assert "Default (15%)" in web.get("/admin/commission").get_data(as_text=True)
    response = web.post(f"/admin/commission/{category.id}", {"percent": "12.5"})
    assert response.status_code == 303
    assert rate_of(category) == 1250
    assert "12.5%" in web.get("/admin/commission").get_data(as_text=True)
    web.post(f"/admin/commission/{category.id}", {"percent": ""})
    assert rate_of(category) is None


@pytest.mark.parametrize("percent", ["abc", "101", "-5"])
def test_a_bad_commission_is_refused_and_changes_nothing(web, admin, category, percent):
    web.sign_in_as(admin)
    web.post(f"/admin/commission/{category.id}", {"percent": "20"})
    response = web.post(f"/admin/commission/{category.id}", {"percent": percent})
    assert response.status_code == 422
    assert "percentage between 0 and 100" in response.get_data(as_text=True)
    assert rate_of(category) == 2000


def test_commission_changes_need_csrf_an_admin_and_a_real_category(web, admin, provider, category):
    web.sign_in_as(admin)
    assert web.post(f"/admin/commission/{category.id}", {"percent": "10"}, csrf=False).status_code == 400
    assert web.post("/admin/commission/999999", {"percent": "10"}).status_code == 404
    web.sign_out()
    web.sign_in_as(provider)
    assert web.post(f"/admin/commission/{category.id}", {"percent": "10"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CommissionRate)) == 0
