"""Deposits and pay at the venue, end to end on production's own path: checkout, the Demo
gateway's hosted page and signed events, settling, the order lifecycle, fees charged once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import service as audit
from app.booking import cart, lifecycle, order_lifecycle
from app.booking.amounts import amount_due
from app.booking.models import BookingStatus, OrderStatus
from app.checkout import checkout
from app.payments import fees
from app.payments.demo_gateway import DemoGateway
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import BookingFee, FeeStatus, PaymentKind, PaymentStatus
from app.payments.ports import GatewayError
from app.payments.saved_cards import get_saved_card
from app.payments.service import start_payment
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from app.promos import redemption as promos
from app.promos.rules import PricedLine
from tests.booking.helpers import future_slot
from tests.payments.deposit_helpers import checked_out, payments_of, venue_paid
from tests.payouts.helpers import connect
from tests.promos.helpers import make_code
from tests.vouchers.helpers import bought_voucher


def transitions(order):
    return [(t.from_state, t.event, t.to_state) for t in order_lifecycle.get_transitions(order)]


# -- what is due now -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "percent", "fixed", "now", "at_venue"),
    [
        ("full", None, None, 6000, 0),
        ("deposit_percent", 25, None, 1500, 4500),
        ("deposit_percent", 33, None, 1980, 4020),
        ("deposit_fixed", None, 1000, 1000, 5000),
        ("at_venue", None, None, 0, 6000),
    ],
)
def test_each_mode_charges_only_its_online_part(ctx, provider, customer, mode, percent, fixed, now, at_venue):
    _venue, service = venue_paid(provider, mode, percent=percent, fixed=fixed, late_fee=None)
    order = checked_out(customer, service)
    due = amount_due(order)
    assert (due.items_subtotal_minor, due.due_now_minor, due.due_at_venue_minor) == (6000, now, at_venue)
    assert sum(line.minor for line in due.lines()) == due.due_now_minor
    if mode.startswith("deposit"):
        assert due.deposit_due_now_minor == now
        assert due.pay_label == f"Pay now £{now / 100:.2f}, £{at_venue / 100:.2f} at the venue"
    if now:
        assert start_payment(order, gateway=DemoGateway()).amount_minor == now


def test_a_group_booking_pays_a_fixed_deposit_per_person(ctx, provider, customer):
    _venue, service = venue_paid(provider, "deposit_fixed", fixed=1000, late_fee=None, team=0, capacity=3)
    order = checked_out(customer, service, quantity=3)
    assert amount_due(order).due_now_minor == 3000


def test_a_promo_code_discounts_only_the_deposit_never_the_part_at_the_venue(ctx, provider, customer):
    _venue, service = venue_paid(provider, "deposit_percent", percent=20, late_fee=None)  # 12.00 now
    make_code("BIG", kind="fixed", value=5000)  # 50.00 off, more than the deposit
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(),
        quantity=1,
        team_member_id=None,
    )
    promos.add_to_cart(customer.id, "BIG", [PricedLine(service.venue_id, 6000)], currency="GBP", now=datetime.now(UTC))
    order = checkout.checkout(customer)
    due = amount_due(order)
    assert (due.promo_discount_minor, due.due_now_minor, due.due_at_venue_minor) == (1200, 0, 4800)
    assert order.bookings[0].promo_discount_minor == 1200


def test_a_gift_voucher_pays_the_deposit_and_the_rest_stays_due_at_the_venue(ctx, provider, customer, make_user):
    _venue, service = venue_paid(provider, "deposit_percent", percent=50, late_fee=None)  # 30.00 now
    voucher = bought_voucher(make_user(role="customer"), 5000)
    order = checked_out(customer, service, voucher_code=voucher.code)
    due = amount_due(order)
    assert (due.voucher_applied_minor, due.due_now_minor, due.due_at_venue_minor) == (3000, 0, 3000)
    assert order.status == OrderStatus.PAID  # no card is needed: no fee in the policy
    assert transitions(order)[-1] == ("pending_payment", "confirm_paid", "paid")


# -- confirmed without a charge, or by saving the card ----------------------------------------------


def test_all_at_the_venue_without_fees_is_confirmed_at_checkout(ctx, provider, customer, run_jobs, outbox):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None)
    order = checked_out(customer, service)
    assert order.status == OrderStatus.PAID
    assert transitions(order) == [(None, "hold", "pending_payment"), ("pending_payment", "confirm_secured", "paid")]
    assert payments_of(order) == []
    assert order.bookings[0].status == BookingStatus.CONFIRMED
    run_jobs()
    [booked] = [m for m in outbox if m.to == [order.customer.email]]  # one email: confirmation and receipt
    assert booked.subject.startswith("Booked") and f"(receipt {order.receipt_number})" in booked.subject
    assert "Due at the venue: £60.00" in booked.body
    assert "Paid online £0.00, £60.00 at the venue." in booked.body


def test_all_at_the_venue_with_a_no_show_fee_saves_the_card_in_setup_mode(ctx, provider, customer):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None, no_show=50)
    order = checked_out(customer, service)
    assert order.status == OrderStatus.PENDING_PAYMENT  # a card must be saved first

    assert pay_by_demo_card(order, "4242") == "secured: card saved, bookings confirmed"

    db.session.refresh(order)
    assert order.status == OrderStatus.PAID
    assert transitions(order)[-1] == ("pending_payment", "confirm_secured", "paid")
    [entry, *_] = audit.find_entries(subject_type="order", subject_id=order.id)
    assert (entry.action, entry.to_state) == ("order.confirm_secured", "paid")
    [payment] = payments_of(order)
    assert (payment.amount_minor, payment.status) == (0, PaymentStatus.SUCCEEDED)
    assert payment.payment_intent_id.startswith("demo_seti_c4242_")
    saved = get_saved_card(order)
    assert (saved.gateway, saved.card_last4, saved.gateway_customer_id) == ("demo", "4242", f"demo_cus_{customer.id}")
    assert order.bookings[0].status == BookingStatus.CONFIRMED


def test_the_demo_checkout_page_saves_the_card_it_was_given(ctx, web, provider, customer, run_jobs):
    _venue, service = venue_paid(provider, "deposit_percent", percent=20, late_fee=50)
    order = checked_out(customer, service)
    payment = start_payment(order, gateway=DemoGateway())
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get(f"/payments/demo/{payment.session_id}")
    assert page.status_code == 200
    assert "4000 0000 0000 0341" in page.get_data(as_text=True)  # the test cards that save but later fail
    response = web.post(
        f"/payments/demo/{payment.session_id}/pay",
        {"card_number": "4000 0000 0000 0341", "expiry": "12/40", "cvc": "123"},
    )
    assert response.status_code == 303
    run_jobs()
    db.session.expire_all()
    assert order_lifecycle.lock_order(order.id).status == OrderStatus.PAID
    [paid] = payments_of(order)
    assert (paid.amount_minor, paid.status) == (1200, PaymentStatus.SUCCEEDED)
    assert get_saved_card(order).card_last4 == "0341"
    receipt = web.get(f"/payments/receipts/{order.id}").get_data(as_text=True)
    assert "Card ending 0341 kept for this booking" in receipt
    assert "Pay now £12.00, £48.00 at the venue" in receipt


def test_a_full_price_order_saves_no_card(ctx, provider, customer):
    _venue, service = venue_paid(provider, "full", late_fee=50, no_show=100)
    order = checked_out(customer, service)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert get_saved_card(order) is None


# -- late cancellation with a deposit ---------------------------------------------------------------


def test_a_late_cancellation_takes_the_fee_from_the_deposit_and_charges_the_rest_once(
    ctx, provider, customer, run_jobs
):
    venue, service = venue_paid(provider, "deposit_percent", percent=20, late_fee=50, free_hours=72)
    connect(venue)
    order = checked_out(customer, service, days=2)  # inside the 72 hours: a late cancellation
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    booking = order.bookings[0]

    refund = lifecycle.cancel_by_customer(booking, customer=customer)

    # 50% of 60.00 is 30.00: the 12.00 deposit is kept (nothing refunded), 18.00 goes to the card.
    assert refund == 0
    fee = fees.get_fee(booking.id, "late_cancellation")
    assert (fee.fee_minor, fee.from_paid_minor, fee.charge_minor, fee.status) == (3000, 1200, 1800, "pending")
    db.session.commit()
    run_jobs()
    run_jobs()  # nothing left to run
    fees.charge_fee_job(fee_id=fee.id)  # the job delivered twice: a charged fee isn't charged again
    db.session.expire_all()
    fee = fees.get_fee(booking.id, "late_cancellation")
    assert fee.status == FeeStatus.CHARGED
    [charged] = payments_of(order, PaymentKind.FEE)
    assert (charged.amount_minor, charged.status) == (1800, PaymentStatus.SUCCEEDED)
    # the fee is the venue's, less the platform's 15% commission, like any charge
    transfer = db.session.scalar(select(VenueTransfer).where(VenueTransfer.payment_id == charged.id))
    assert (transfer.gross_minor, transfer.commission_minor, transfer.transfer_minor) == (1800, 270, 1530)
    # a second cancellation attempt or mark adds no second fee row
    assert fees.record_fee(booking, "late_cancellation").id == fee.id
    assert db.session.scalar(select(func.count()).select_from(BookingFee)) == 1


def test_a_late_cancellation_of_a_full_payment_keeps_its_old_refund(ctx, provider, customer):
    _venue, service = venue_paid(provider, "full", late_fee=50, free_hours=72)
    order = checked_out(customer, service, days=2)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert lifecycle.cancel_by_customer(order.bookings[0], customer=customer) == 3000
    fee = fees.get_fee(order.bookings[0].id, "late_cancellation")
    assert (fee.from_paid_minor, fee.charge_minor, fee.status) == (3000, 0, FeeStatus.COVERED)


# -- no-shows --------------------------------------------------------------------------------------


def no_show(provider, customer, card: str, *, mode="at_venue", percent=None, fixed=None):
    venue, service = venue_paid(provider, mode, percent=percent, fixed=fixed, late_fee=None, no_show=50)
    connect(venue)
    order = checked_out(customer, service)
    pay_by_demo_card(order, card)
    booking = order.bookings[0]
    lifecycle.mark(booking, "no_show", actor=provider, now=booking.starts_at + timedelta(minutes=20))
    db.session.commit()
    return order, booking


def test_a_no_show_fee_is_charged_to_the_saved_card_once(ctx, provider, customer, run_jobs, outbox):
    order, booking = no_show(provider, customer, "4242", mode="deposit_fixed", fixed=1000)
    fee = fees.get_fee(booking.id, "no_show")
    assert (fee.fee_minor, fee.from_paid_minor, fee.charge_minor) == (3000, 1000, 2000)
    run_jobs()
    fees.charge_fee_job(fee_id=fee.id)
    db.session.expire_all()
    assert fees.get_fee(booking.id, "no_show").status == FeeStatus.CHARGED
    assert [p.amount_minor for p in payments_of(order, PaymentKind.FEE)] == [2000]
    assert not [m for m in outbox if "couldn't charge" in m.subject]


@pytest.mark.parametrize(
    ("card", "problem"),
    [("0341", "The card was declined."), ("3184", "authentication required")],
)
def test_a_no_show_fee_the_card_refuses_is_recorded_and_the_customer_told(
    ctx, provider, customer, run_jobs, outbox, card, problem
):
    order, booking = no_show(provider, customer, card)
    fee = fees.get_fee(booking.id, "no_show")
    assert (fee.from_paid_minor, fee.charge_minor) == (0, 3000)
    run_jobs()
    fees.charge_fee_job(fee_id=fee.id)  # delivered again: a failed fee is not retried on its own
    db.session.expire_all()
    fee = fees.get_fee(booking.id, "no_show")
    assert fee.status == FeeStatus.FAILED and problem in fee.problem
    assert fee.attempts == 1
    [attempt] = payments_of(order, PaymentKind.FEE)
    assert attempt.status == PaymentStatus.FAILED
    assert (
        db.session.scalar(select(func.count()).select_from(VenueTransfer).where(VenueTransfer.payment_id == attempt.id))
        == 0
    )
    [email] = [m for m in outbox if "couldn't charge" in m.subject]
    assert email.to == [customer.email] and problem in email.body
    assert problem in fees.describe_fee(fee)


def test_a_spanish_customer_is_told_in_spanish_that_the_fee_was_not_charged(ctx, provider, customer, run_jobs, outbox):
    customer.language = "es"
    db.session.commit()
    _order, booking = no_show(provider, customer, "0341")
    run_jobs()
    [email] = [m for m in outbox if m.to == [customer.email] and "No hemos podido cobrar" in m.subject]
    assert email.subject == f"No hemos podido cobrar el cargo por no presentarse de {booking.service.name}"
    assert "No hemos podido cobrar el cargo por no presentarse de 30,00\xa0GBP" in email.body
    assert "Motivo:" in email.body and "couldn't charge" not in email.body


def test_a_gateway_that_answers_after_a_retry_charges_once(ctx, provider, customer, run_jobs, monkeypatch):
    order, booking = no_show(provider, customer, "4242")
    fee = fees.get_fee(booking.id, "no_show")
    keys, real = [], DemoGateway.charge_saved_card

    def flaky(self, card, amount, currency, *, idempotency_key, metadata):
        keys.append(idempotency_key)
        result = real(self, card, amount, currency, idempotency_key=idempotency_key, metadata=metadata)
        if len(keys) == 1:  # the gateway charged, but its answer never reached us
            raise GatewayError("Could not reach the gateway.")
        return result

    monkeypatch.setattr(DemoGateway, "charge_saved_card", flaky)
    with pytest.raises(GatewayError):
        fees.charge_fee_job(fee_id=fee.id)
    fees.charge_fee_job(fee_id=fee.id)  # the queue's retry
    db.session.expire_all()
    assert keys == [f"fee-{fee.id}", f"fee-{fee.id}"]  # one idempotency key: one charge at the gateway
    assert fees.get_fee(booking.id, "no_show").status == FeeStatus.CHARGED
    assert len(payments_of(order, PaymentKind.FEE)) == 1


def test_a_no_show_without_a_fee_in_the_policy_records_nothing(ctx, provider, customer):
    _venue, service = venue_paid(provider, "deposit_percent", percent=20, late_fee=None, no_show=None)
    order = checked_out(customer, service)
    pay_by_demo_card(order)
    booking = order.bookings[0]
    lifecycle.mark(booking, "no_show", actor=provider, now=booking.starts_at + timedelta(minutes=5))
    assert fees.get_fees(booking.id) == []


# -- who may mark ----------------------------------------------------------------------------------


def test_a_provider_cannot_mark_another_venues_booking(ctx, web, provider, customer, make_user):
    _order, booking = no_show_ready(provider, customer)
    stranger = make_user(role="provider", name="Other Owner")
    venue_paid(stranger, "full")
    db.session.commit()
    web.sign_in_as(stranger)
    response = web.post(f"/provider/bookings/{booking.id}/no-show")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(booking), booking.id).status == BookingStatus.CONFIRMED
    assert fees.get_fees(booking.id) == []


def no_show_ready(provider, customer):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None, no_show=50)
    order = checked_out(customer, service)
    pay_by_demo_card(order)
    db.session.commit()
    return order, order.bookings[0]
