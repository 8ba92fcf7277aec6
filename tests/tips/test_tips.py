"""Tips (docs/tips.md): after a visit the customer adds a tip (a preset or an amount) on their
booking's page, pays it through the Demo gateway like any order, and the venue gets all of it:
no commission, in its transfers, its earnings (per team member) and its analytics. Bad input is
a 4xx with a message and holds nothing; only the customer's own visit that happened can be tipped."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.analytics.periods import Period
from app.analytics.tables import to_csv, venue_tables
from app.analytics.venue_reports import venue_report
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.booking.order_lifecycle import expire_holds
from app.payments import demo_gateway as demo
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment
from app.payments.settlement import record_event, settle
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.privacy.exports import build_archive
from app.tips import service
from app.tips.models import Tip
from app.tips.reporting import tips_by_member
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.conftest import Browser
from tests.payouts.helpers import connect, reversals_of, transfers_of

PAYS = "4242 4242 4242 4242"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")


@pytest.fixture
def visit(ctx, provider, customer):
    """A confirmed 60-minute, £60 booking with Therapist 1 that ended two hours ago."""
    venue, service_ = make_bookable_venue(provider, team=1)
    connect(venue)
    member = venue.team[0]
    booking = book(customer, service_, future_slot(), team_member_id=member.id)
    move_to_past(booking, hours=3)
    return booking


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def tip_path(booking: Booking) -> str:
    return f"/bookings/{booking.reference}/tip"


def add_tip(web, booking: Booking, **fields):
    return web.post(tip_path(booking), {"preset": "", "amount": "", **fields})


def paid_tip(customer, booking: Booking, amount_minor: int = 900) -> Tip:
    tip = service.start_tip(customer, booking, amount_minor)
    assert pay_by_demo_card(tip.order) == "paid: bookings confirmed"
    db.session.flush()
    return tip


# -- the form ---------------------------------------------------------------------------------------


def test_the_form_shows_on_the_customers_own_past_visit(web, customer, visit):
    web.sign_in_as(customer)
    page = html(web.get(f"/bookings/{visit.reference}"))
    assert "Add a tip for Therapist 1" in page and "data-tip-form" in page
    assert "10% · £6.00" in page and "15% · £9.00" in page and "20% · £12.00" in page
    assert "no commission on tips" in page


def test_no_form_on_a_future_booking(ctx, web, customer, provider):
    venue, service_ = make_bookable_venue(provider, team=1)
    booking = book(customer, service_, future_slot(), team_member_id=venue.team[0].id)
    web.sign_in_as(customer)
    assert "data-tip-section" not in html(web.get(f"/bookings/{booking.reference}"))
    response = add_tip(web, booking, preset="10")
    assert response.status_code == 409 and "once your visit has happened" in html(response)
    assert count(Tip) == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (BookingStatus.NO_SHOW, "marked as a no-show"),
        (BookingStatus.CANCELLED_BY_CUSTOMER, "was cancelled"),
        (BookingStatus.CANCELLED_BY_VENUE, "was cancelled"),
    ],
)
def test_no_tip_for_a_no_show_or_a_cancelled_booking(web, customer, visit, status, message):
    visit.status = status  # the lifecycle's own moves are tested elsewhere; here only the state
    db.session.flush()
    web.sign_in_as(customer)
    assert "data-tip-section" not in html(web.get(f"/bookings/{visit.reference}"))
    response = add_tip(web, visit, preset="10")
    assert response.status_code == 409 and message in html(response)
    assert count(Tip) == 0


def test_a_completed_visit_can_be_tipped(web, customer, visit):
    visit.status = BookingStatus.COMPLETED
    db.session.flush()
    web.sign_in_as(customer)
    assert "data-tip-form" in html(web.get(f"/bookings/{visit.reference}"))


def test_another_customers_booking_is_not_found(app, visit, make_user):
    stranger = Browser.own(app, make_user(email="stranger@example.com"))
    assert stranger.get(f"/bookings/{visit.reference}").status_code == 404
    assert stranger.get(tip_path(visit)).status_code == 404
    assert add_tip(stranger, visit, preset="10").status_code == 404
    assert count(Tip) == 0


def test_a_booking_without_the_customers_account_shows_no_tip(visit, customer):
    now = datetime.now(UTC)
    assert service.eligibility(visit, None, now).shown is False
    visit.customer_id = None  # a desk booking for a walk-in: nobody can tip from an account
    assert service.eligibility(visit, customer, now).shown is False
    db.session.expire(visit)


def test_the_window_closes_after_the_setting(app, web, customer, visit, monkeypatch):
    monkeypatch.setitem(app.config, "TIP_WINDOW_DAYS", 14)
    visit.shift(-timedelta(days=15))
    db.session.flush()
    web.sign_in_as(customer)
    page = html(web.get(f"/bookings/{visit.reference}"))
    assert "up to 14 days after the visit" in page and "data-tip-form" not in page
    response = add_tip(web, visit, preset="10")
    assert response.status_code == 409 and count(Tip) == 0


# -- paying -----------------------------------------------------------------------------------------


def test_a_preset_tip_paid_by_demo_card_is_recorded_once_and_goes_wholly_to_the_venue(
    web, customer, visit, run_jobs, outbox
):
    web.sign_in_as(customer)
    response = add_tip(web, visit, preset="15")
    assert response.status_code == 303, html(response)
    session_id = DEMO_PAGE_RE.search(response.location).group(1)
    tip = db.session.scalar(select(Tip))
    assert (tip.amount_minor, tip.team_member_name, tip.paid_at) == (900, "Therapist 1", None)
    assert tip.order.status == OrderStatus.PENDING_PAYMENT and tip.order.total_minor == 900

    paid = web.post(f"/payments/demo/{session_id}/pay", {"card_number": PAYS, "expiry": "12/34", "cvc": "123"})
    assert paid.status_code == 303
    run_jobs()
    db.session.expire_all()
    tip = db.session.scalar(select(Tip))
    assert tip.order.status == OrderStatus.PAID and tip.paid_at is not None
    first_paid_at = tip.paid_at
    back = web.get(paid.location)  # the return page sends a tip back to its booking
    assert back.status_code == 303 and back.location.endswith(f"/bookings/{visit.reference}")
    page = html(web.get(back.location))
    assert "You tipped £9.00. Thank you!" in page and "data-tip-form" not in page
    receipts = [m for m in outbox if m.to == [customer.email] and "£9.00" in m.body]
    assert len(receipts) == 1  # the receipt every paid order gets

    # The same event again (a retried webhook): stored once, nothing changes.
    payment = db.session.scalar(select(Payment).where(Payment.order_id == tip.order_id))
    obj = demo.session_object(
        payment.session_id,
        payment.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        status="complete",
        **demo.completed_fields(payment.amount_minor, customer.id, "4242"),
    )
    payload = demo.build_event(
        "checkout.session.completed", obj, event_id=demo.event_id(payment.session_id, "completed")
    )
    gateway = demo.DemoGateway()
    assert record_event("demo", gateway.parse_event(payload, {demo.SIGNATURE_HEADER: demo.sign(payload)})) is None
    # A second success event with another id settles to "already paid".
    again = demo.build_event("checkout.session.async_payment_succeeded", obj, event_id="evt_demo_again")
    row = record_event("demo", gateway.parse_event(again, {demo.SIGNATURE_HEADER: demo.sign(again)}))
    assert settle(row) == "already paid"
    run_jobs()
    db.session.expire_all()
    assert count(Tip) == 1 and db.session.scalar(select(Tip.paid_at)) == first_paid_at

    (transfer,) = transfers_of(tip.order)
    assert (transfer.venue_id, transfer.gross_minor, transfer.commission_minor, transfer.transfer_minor) == (
        visit.venue_id,
        900,
        0,
        900,
    )
    assert transfer.commission_bp == 0 and transfer.status == "paid" and transfer.sent_minor == 900


def test_a_second_tip_is_refused(web, customer, visit):
    paid_tip(customer, visit)
    web.sign_in_as(customer)
    orders = count(Order)
    response = add_tip(web, visit, amount="5")
    assert response.status_code == 409 and "already left a tip for this visit" in html(response)
    assert count(Tip) == 1 and count(Order) == orders


def test_a_tip_waiting_for_payment_blocks_a_second_and_can_be_paid(web, customer, visit):
    web.sign_in_as(customer)
    first = add_tip(web, visit, preset="10")
    assert first.status_code == 303
    response = add_tip(web, visit, amount="5")
    assert response.status_code == 409 and "waiting for payment" in html(response)
    assert count(Tip) == 1
    page = html(web.get(f"/bookings/{visit.reference}"))
    assert "Your tip of £6.00 is waiting for payment." in page
    again = web.post(f"{tip_path(visit)}/pay")
    assert again.status_code == 303 and again.location == first.location  # the same open checkout


def test_an_unpaid_tip_lapses_with_its_hold_and_the_form_returns(web, customer, visit):
    tip = service.start_tip(customer, visit, 500)
    expire_holds(now=datetime.now(UTC) + timedelta(hours=1))
    db.session.expire_all()
    assert tip.order.status == OrderStatus.EXPIRED and tip.paid_at is None
    web.sign_in_as(customer)
    assert "data-tip-form" in html(web.get(f"/bookings/{visit.reference}"))


def test_a_typed_amount_with_pence_is_taken(web, customer, visit):
    web.sign_in_as(customer)
    response = add_tip(web, visit, preset="other", amount="7.50")
    assert response.status_code == 303
    assert db.session.scalar(select(Tip.amount_minor)) == 750


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a tip or enter an amount."),
        ({"preset": "other", "amount": "   "}, "Choose a tip or enter an amount."),
        ({"amount": "-5"}, "enter at least £1"),
        ({"amount": "0"}, "enter at least £1"),
        ({"amount": "five"}, "like 5 or 7.50"),
        ({"amount": "5.555"}, "like 5 or 7.50"),
        ({"amount": "NaN"}, "like 5 or 7.50"),
        ({"amount": "0.50"}, "between £1.00 and £200.00"),
        ({"amount": "200.01"}, "between £1.00 and £200.00"),
        ({"amount": "1e9"}, "more than we can take"),
        ({"preset": "25"}, "Choose 10%, 15% or 20%"),
        ({"amount": "9" * 20}, "Choose a tip or enter an amount."),  # longer than the field takes
    ],
)
def test_bad_input_is_refused_and_holds_nothing(web, customer, visit, fields, message):
    web.sign_in_as(customer)
    orders = count(Order)
    response = add_tip(web, visit, **fields)
    assert response.status_code == 422, response.status_code
    assert message in html(response)
    assert count(Tip) == 0 and count(Order) == orders


def test_the_maximum_is_the_price_when_it_is_more_than_200(customer, visit):
    visit.unit_price_minor = 30000
    db.session.flush()
    assert service.max_minor(visit) == 30000
    service.check_amount(visit, 30000)


def test_csrf_is_required(web, customer, visit):
    web.sign_in_as(customer)
    response = web.post(tip_path(visit), {"preset": "10"}, csrf=False)
    assert response.status_code == 400 and count(Tip) == 0


def test_signed_out_is_sent_to_sign_in(web, visit):
    response = web.get(tip_path(visit))
    assert response.status_code in (302, 303) and "sign-in" in response.location


# -- the venue sees them ----------------------------------------------------------------------------


def test_earnings_show_the_tip_per_team_member_with_no_commission(web, customer, provider, visit):
    paid_tip(customer, visit, 900)
    web.sign_in_as(provider)
    page = html(web.get("/provider/earnings"))
    section = page[page.index("data-tips") :]
    assert "Tips: £9.00, all of it yours" in section
    assert re.search(r"Therapist 1</th><td[^>]*>1</td><td[^>]*>£9.00</td><td[^>]*>£0.00</td>", section)
    # The tip is in the period's gross and net, with no commission on it: £60 booking at 15% + £9 tip.
    totals = db.session.execute(
        select(func.sum(VenueTransfer.gross_minor), func.sum(VenueTransfer.commission_minor)).where(
            VenueTransfer.venue_id == visit.venue_id
        )
    ).one()
    assert totals == (6900, 900)


def test_analytics_table_and_csv_show_tips_per_team_member(web, customer, provider, visit):
    paid_tip(customer, visit, 1200)
    venue = visit.venue
    today = datetime.now(venue_zone(venue)).date()
    report = venue_report(venue, Period(today - timedelta(days=6), today + timedelta(days=1), None))
    table = venue_tables(report)["tips"]
    assert table.rows == [["Therapist 1", 1, 1200, 0, 1200]]
    assert to_csv(table).splitlines()[1] == "Therapist 1,1,12.00,0.00,12.00"
    hidden = venue_report(venue, Period(today - timedelta(days=6), today + timedelta(days=1), None), with_revenue=False)
    assert hidden.tips == []  # money: for the owner and managers only
    web.sign_in_as(provider)
    page = html(web.get("/provider/analytics"))
    assert "Tips per team member" in page
    csv = web.get("/provider/analytics.csv?table=tips")
    assert csv.status_code == 200 and "Therapist 1,1,12.00,0.00,12.00" in csv.get_data(as_text=True)


def test_an_admin_refund_takes_the_tip_back_from_the_venue(web, customer, visit, admin, run_jobs):
    tip = paid_tip(customer, visit, 900)
    run_jobs()
    web.sign_in_as(admin)
    response = web.post(f"/admin/orders/{tip.order_id}/refund", {"amount": "9.00", "reason": "Tipped by mistake"})
    assert response.status_code in (302, 303), html(response)
    run_jobs()
    db.session.expire_all()
    order = db.session.get(Order, tip.order_id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_minor == 900
    (row,) = tips_by_member(visit.venue_id)
    assert (row.amount_minor, row.refunded_minor, row.net_minor) == (900, 900, 0)
    (transfer,) = transfers_of(order)
    assert sum(r.amount_minor for r in reversals_of(transfer)) == 900
    web.sign_in_as(customer)
    assert "This tip was refunded." in html(web.get(f"/bookings/{visit.reference}"))


def test_the_customers_data_export_lists_their_tips(customer, visit):
    tip = paid_tip(customer, visit, 1200)
    with zipfile.ZipFile(io.BytesIO(build_archive(customer))) as archive:
        tips = json.loads(archive.read("tips.json"))
    assert [(row["booking_id"], row["amount_minor"]) for row in tips] == [(visit.id, 1200)]
    assert tips[0]["id"] == tip.id and tips[0]["paid_at"]
