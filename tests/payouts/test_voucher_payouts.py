"""Gift-voucher-funded payouts on the Demo gateway: an order a voucher pays in full or in part
pays its venues the voucher's part from the platform balance (a balance leg: no charge, same
transfer group, its own idempotency key), the card's part from the charge (a charge leg, never
more than the charge); both exactly once, reversed in proportion by refunds of either kind, and
released and retried like every transfer (docs/payments.md, "Gift vouchers: the balance leg")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.booking import cart, lifecycle
from app.checkout import checkout
from app.payments import service as payments
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment, PaymentStatus
from app.payouts.earnings import get_booking_lines, get_venue_totals
from app.payouts.models import Funding, ReversalStatus, TransferReversal, TransferStatus, VenueTransfer
from app.payouts.reconcile import reconcile_transfers
from app.payouts.transfers import release_waiting, schedule_balance_transfers, schedule_transfers
from app.payouts.transfers import schedule_voucher_reversals as voucher_reversals
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payouts.helpers import connect, reversals_of, transfers_of
from tests.vouchers.helpers import bought_voucher, checkout_with


@pytest.fixture
def two_venues(ctx, make_user):
    """Two venues with enabled Demo accounts: £60 and £45.50 services."""
    venue_a, service_a = make_bookable_venue(make_user(role="provider"), name="Calm Rooms")
    venue_b, service_b = make_bookable_venue(make_user(role="provider"), name="Quiet Corner")
    service_b.price_minor = 4550
    connect(venue_a)
    connect(venue_b)
    return (venue_a, service_a), (venue_b, service_b)


def checkout_two(customer, service_a, service_b, code: str | None):
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=service_a.id, starts_at=future_slot(), quantity=1, team_member_id=None)
    cart.add_item(owner, service_id=service_b.id, starts_at=future_slot(days=4), quantity=1, team_member_id=None)
    return checkout.checkout(customer, voucher_code=code)


def legs(order) -> dict[tuple[int, str], VenueTransfer]:
    return {(t.venue_id, t.funding): t for t in transfers_of(order)}


def charge_of(order) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == PaymentStatus.SUCCEEDED)
    )


def reversed_minor(transfer: VenueTransfer) -> int:
    return sum(r.amount_minor for r in reversals_of(transfer) if r.status != ReversalStatus.FAILED)


# -- paid in full by a voucher ---------------------------------------------------------------------


def test_an_order_a_voucher_pays_in_full_pays_each_venue_once_from_the_balance(two_venues, customer, run_jobs):
    (venue_a, service_a), (venue_b, service_b) = two_venues
    voucher = bought_voucher(customer, 20_000)
    order = checkout_two(customer, service_a, service_b, voucher.code)
    assert order.voucher_applied_minor == 10_550 and charge_of(order) is None
    db.session.commit()
    run_jobs()
    run_jobs()

    found = legs(order)
    assert set(found) == {(venue_a.id, Funding.BALANCE), (venue_b.id, Funding.BALANCE)}
    a, b = found[venue_a.id, Funding.BALANCE], found[venue_b.id, Funding.BALANCE]
    assert (a.gross_minor, a.commission_minor, a.transfer_minor, a.charged_minor) == (6000, 900, 5100, 6000)
    assert (b.gross_minor, b.commission_minor, b.transfer_minor, b.charged_minor) == (4550, 682, 3868, 4550)
    for leg in (a, b):
        assert leg.payment_id is None and leg.gateway == "demo"
        assert leg.transfer_group == f"order-{order.id}"
        assert leg.status == TransferStatus.PAID and leg.sent_minor == leg.transfer_minor
        assert leg.gateway_transfer_id.startswith("demo_tr_")
    # Transfers + commission - voucher = what was charged (nothing).
    assert sum(t.transfer_minor + t.commission_minor for t in found.values()) - order.voucher_applied_minor == 0

    # Confirming, scheduling and reconciling again make nothing more.
    assert schedule_balance_transfers(order) == 0
    summary = reconcile_transfers()
    db.session.commit()
    run_jobs()
    assert summary.scheduled_orders == 0 and summary.retried == 0
    assert len(transfers_of(order)) == 2


def test_the_balance_leg_is_sent_without_a_charge_and_with_its_own_key(two_venues, customer, run_jobs, monkeypatch):
    from app.payouts.demo_connect import DemoConnect

    sent = []
    original = DemoConnect.create_transfer

    def record(self, transfer):
        sent.append(transfer)
        return original(self, transfer)

    monkeypatch.setattr(DemoConnect, "create_transfer", record)
    (_venue_a, service_a), _ = two_venues
    voucher = bought_voucher(customer, 10_000)
    order = checkout_with(customer, service_a, future_slot(), voucher.code)
    db.session.commit()
    run_jobs()
    (leg,) = transfers_of(order)
    (call,) = sent
    assert call.payment_reference is None  # no source_transaction: the platform balance pays
    assert call.idempotency_key == f"transfer-{leg.id}"
    assert call.transfer_group == f"order-{order.id}" and call.amount_minor == 5100


def test_a_waiting_account_keeps_the_balance_leg_until_it_is_enabled(ctx, customer, provider, run_jobs):
    venue, service = make_bookable_venue(provider)  # collection before enabling is on in tests
    voucher = bought_voucher(customer, 10_000)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    db.session.commit()
    run_jobs()
    (leg,) = transfers_of(order)
    assert leg.funding == Funding.BALANCE and leg.status == TransferStatus.WAITING and leg.sent_minor is None

    connect(venue)
    assert release_waiting(venue.id) == 1
    db.session.commit()
    run_jobs()
    (leg,) = transfers_of(order)
    assert leg.status == TransferStatus.PAID and leg.sent_minor == 5100
    assert release_waiting(venue.id) == 0


def test_reconcile_schedules_missing_balance_legs_and_resends_a_failed_one(two_venues, customer, run_jobs):
    (_venue_a, service_a), _ = two_venues
    voucher = bought_voucher(customer, 10_000)
    order = checkout_with(customer, service_a, future_slot(), voucher.code)
    db.session.execute(VenueTransfer.__table__.delete().where(VenueTransfer.order_id == order.id))
    db.session.commit()
    run_jobs()  # its job finds no row

    summary = reconcile_transfers()
    db.session.commit()
    run_jobs()
    assert summary.scheduled_orders == 1
    (leg,) = transfers_of(order)
    assert leg.funding == Funding.BALANCE and leg.status == TransferStatus.PAID

    leg.status, leg.sent_minor, leg.gateway_transfer_id = TransferStatus.FAILED, None, None
    db.session.commit()
    summary = reconcile_transfers()
    db.session.commit()
    run_jobs()
    assert summary.retried == 1 and summary.scheduled_orders == 0
    (leg,) = transfers_of(order)
    assert leg.status == TransferStatus.PAID and leg.sent_minor == 5100


# -- paid in part by a voucher -----------------------------------------------------------------------


def test_an_order_a_voucher_pays_in_part_splits_each_venue_between_the_charge_and_the_balance(
    two_venues, customer, run_jobs
):
    (venue_a, service_a), (venue_b, service_b) = two_venues
    voucher = bought_voucher(customer, 3000)
    order = checkout_two(customer, service_a, service_b, voucher.code)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.commit()
    run_jobs()
    payment = charge_of(order)
    assert payment.amount_minor == 7550

    found = legs(order)
    assert set(found) == {(v, f) for v in (venue_a.id, venue_b.id) for f in (Funding.CHARGE, Funding.BALANCE)}
    charge_legs = [t for (_, f), t in found.items() if f == Funding.CHARGE]
    assert all(t.payment_id == payment.id for t in charge_legs)
    assert sum(t.transfer_minor for t in charge_legs) <= payment.amount_minor
    for venue, gross, commission in ((venue_a, 6000, 900), (venue_b, 4550, 682)):
        charge, balance = found[venue.id, Funding.CHARGE], found[venue.id, Funding.BALANCE]
        assert charge.transfer_minor <= charge.charged_minor  # never more than its part of the charge
        assert charge.transfer_minor + balance.transfer_minor + commission == gross
        assert charge.commission_minor + balance.commission_minor == commission
        assert charge.gross_minor + balance.gross_minor == gross
        assert balance.payment_id is None and balance.charged_minor == gross - charge.charged_minor
        assert {charge.transfer_group, balance.transfer_group} == {f"order-{order.id}"}
        assert charge.status == balance.status == TransferStatus.PAID
    # Venue A: 6000 of which the voucher paid 1706 (3000 split by gross): its 5100 is 3650 by card
    # and 1450 (5100 x 1706 / 6000, rounded down) from the balance.
    a_charge, a_balance = found[venue_a.id, Funding.CHARGE], found[venue_a.id, Funding.BALANCE]
    assert (a_charge.charged_minor, a_balance.charged_minor) == (4294, 1706)
    assert (a_charge.transfer_minor, a_balance.transfer_minor) == (3650, 1450)
    total = sum(t.transfer_minor + t.commission_minor for t in found.values())
    assert total - order.voucher_applied_minor == payment.amount_minor

    assert schedule_transfers(payment) == 0
    run_jobs()
    assert len(transfers_of(order)) == 4


# -- refunds -----------------------------------------------------------------------------------------


def test_refunding_an_order_the_voucher_paid_in_full_reverses_its_balance_legs_once(two_venues, customer, run_jobs):
    (venue_a, service_a), (venue_b, service_b) = two_venues
    voucher = bought_voucher(customer, 20_000)
    order = checkout_two(customer, service_a, service_b, voucher.code)
    db.session.commit()
    run_jobs()
    booking_a = next(b for b in order.bookings if b.venue_id == venue_a.id)

    payments.refund_booking(booking_a, lifecycle.cancel_by_customer(booking_a, customer=customer), reason="x")
    db.session.commit()
    run_jobs()
    found = legs(order)
    a, b = found[venue_a.id, Funding.BALANCE], found[venue_b.id, Funding.BALANCE]
    (reversal,) = reversals_of(a)
    assert reversal.voucher_entry_id is not None and reversal.refund_id is None
    assert (reversal.refund_minor, reversal.amount_minor) == (6000, 5100)  # all of A's; 900 commission back
    assert reversal.status == ReversalStatus.SUCCEEDED and reversal.gateway_reversal_id.startswith("demo_trr_")
    assert reversals_of(b) == []  # the cancelled booking's venue first: nothing of B's

    assert voucher_reversals(order) == 0  # again: nothing new
    totals = get_venue_totals(venue_a.id)
    assert (totals.gross_minor, totals.refunds_minor, totals.net_minor, totals.commission_minor) == (6000, 6000, 0, 0)
    (line,) = get_booking_lines(venue_a)
    assert (line.gross_minor, line.refunded_minor, line.net_minor, line.commission_minor) == (6000, 6000, 0, 0)


def test_refunding_an_order_paid_in_part_reverses_both_legs_in_proportion_then_everything(
    ctx, customer, provider, run_jobs
):
    venue, service = make_bookable_venue(provider)
    connect(venue)
    voucher = bought_voucher(customer, 2000)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.commit()
    run_jobs()
    found = legs(order)
    charge, balance = found[venue.id, Funding.CHARGE], found[venue.id, Funding.BALANCE]
    assert (charge.transfer_minor, balance.transfer_minor) == (3400, 1700)

    # A goodwill refund of 1500 to the card takes back in proportion from both legs.
    from app.payments.refunds import request_refund

    request_refund(charge_of(order), 1500, reason="goodwill", booking_id=order.bookings[0].id)
    db.session.commit()
    run_jobs()
    (on_charge,) = reversals_of(charge)
    (on_balance,) = reversals_of(balance)
    assert (on_charge.refund_minor, on_charge.amount_minor) == (1500, 850)  # 3400 x 1500 / 6000
    assert (on_balance.refund_minor, on_balance.amount_minor) == (0, 425)  # 1700 x 1500 / 6000
    assert on_charge.refund_id == on_balance.refund_id

    # Cancelling refunds the rest: the card's 2500 first, then the voucher's 2000.
    booking = order.bookings[0]
    payments.refund_booking(booking, 6000, reason="cancelled")
    db.session.commit()
    run_jobs()
    charge, balance = transfers_of(order)
    assert reversed_minor(charge) == charge.transfer_minor and reversed_minor(balance) == balance.transfer_minor
    rows = db.session.scalars(select(TransferReversal).where(TransferReversal.transfer_id.in_([charge.id, balance.id])))
    rows = list(rows)
    refunds = sum(r.refund_minor for r in rows)
    assert refunds == 6000
    # reversals + commission given back = refunds
    assert sum(r.amount_minor for r in rows) + (charge.commission_minor + balance.commission_minor) == refunds
    assert sum(r.refund_minor for r in rows if r.voucher_entry_id) == 2000
    totals = get_venue_totals(venue.id)
    assert (totals.gross_minor, totals.refunds_minor, totals.net_minor, totals.commission_minor) == (6000, 6000, 0, 0)
    (line,) = get_booking_lines(venue)
    assert (line.refunded_minor, line.net_minor) == (6000, 0)


def test_a_refund_before_the_balance_leg_is_sent_makes_it_smaller(ctx, customer, provider, run_jobs):
    venue, service = make_bookable_venue(provider)  # not connected: its legs wait
    voucher = bought_voucher(customer, 10_000)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    booking = order.bookings[0]
    payments.refund_booking(booking, 3000, reason="half")
    db.session.commit()
    (leg,) = transfers_of(order)
    (reversal,) = reversals_of(leg)
    assert reversal.status == ReversalStatus.NETTED and reversal.amount_minor == 2550

    connect(venue)
    release_waiting(venue.id)
    db.session.commit()
    run_jobs()
    (leg,) = transfers_of(order)
    assert leg.status == TransferStatus.PAID and leg.sent_minor == 5100 - 2550


# -- deposits: a voucher paying the deposit, with and without a card saved for the policy ----------


@pytest.mark.parametrize("saves_card", [False, True])
def test_a_voucher_paying_a_deposit_pays_the_venue_its_online_part_from_the_balance(
    ctx, provider, customer, make_user, run_jobs, saves_card
):
    from tests.payments.deposit_helpers import checked_out, venue_paid

    venue, service = venue_paid(
        provider, "deposit_percent", percent=50, late_fee=None, no_show=50 if saves_card else None
    )
    connect(venue)
    voucher = bought_voucher(make_user(role="customer"), 5000)
    order = checked_out(customer, service, voucher_code=voucher.code)
    assert order.voucher_applied_minor == 3000  # the deposit; £30 stays due at the venue
    if saves_card:
        assert pay_by_demo_card(order, "4242") == "secured: card saved, bookings confirmed"
    db.session.commit()
    run_jobs()
    (leg,) = [t for t in transfers_of(order) if t.funding == Funding.BALANCE]
    assert (leg.gross_minor, leg.commission_minor, leg.transfer_minor) == (3000, 450, 2550)  # commission on £30
    assert leg.status == TransferStatus.PAID and leg.sent_minor == 2550 and leg.gateway == "demo"
    assert all(t.transfer_minor == 0 for t in transfers_of(order) if t.funding == Funding.CHARGE)
