"""Gift vouchers as a service: bought through the Demo gateway and issued once, spent at
checkout (in part, in full, for one venue only), given back when an order isn't paid,
refunded card first, expiring after at least 12 months. The ledger is the balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.booking import lifecycle, order_lifecycle
from app.booking.amounts import amount_due
from app.booking.models import BookingStatus, CartItem, Order, OrderStatus, ReleaseReason
from app.payments import service as payments
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment, Refund
from app.payments.refunds import refundable
from app.payments.settlement import record_event, settle
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.vouchers import ledger
from app.vouchers.models import EntryKind, Voucher, VoucherEntry, VoucherPurchase
from app.vouchers.purchase import add_months, start_purchase, validity_months
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.vouchers.helpers import bought_voucher, checkout_with, wish


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)  # one 60-minute service at £60


def kinds(voucher: Voucher) -> list[tuple[str, int]]:
    return [(e.kind, e.amount_minor) for e in ledger.get_entries(voucher)]


def voucher_jobs() -> int:
    return db.session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE task_name = 'email.deliver' AND args->>'to' = 'rosa@example.com'"
        )
    )


# -- buying -------------------------------------------------------------------------------------


def test_a_paid_purchase_issues_one_voucher_with_its_value_on_the_ledger(ctx, customer):
    voucher = bought_voucher(customer, 5000)

    assert voucher.value_minor == 5000 and voucher.currency == "GBP"
    assert ledger.looks_like_code(voucher.code)
    assert kinds(voucher) == [("issue", 5000)]
    assert ledger.balance(voucher) == 5000
    order = voucher.purchase.order
    assert order.status == OrderStatus.PAID and order.receipt_number is not None
    assert amount_due(order).due_now_minor == 5000
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.amount_minor == 5000


def test_the_recipient_email_is_enqueued_once_with_the_code_and_the_expiry(ctx, customer, run_jobs, outbox):
    voucher = bought_voucher(customer, 2500)
    assert voucher_jobs() == 1
    run_jobs()
    [mail] = [m for m in outbox if m.to == ["rosa@example.com"]]
    body = mail.body
    assert ledger.display_code(voucher.code) in body
    assert "Valid until" in body and str(voucher.expires_at.astimezone(UTC).year) in body
    assert f"/gift-vouchers/v/{voucher.code}" in body
    assert "Sam Sender" in mail.subject


def test_a_retried_or_replayed_paid_event_issues_nothing_more(ctx, customer):
    purchase = start_purchase(customer, wish(5000))
    assert pay_by_demo_card(purchase.order) == "paid: bookings confirmed"
    payment = db.session.scalar(select(Payment).where(Payment.order_id == purchase.order_id))
    # The same session's success again, under a new event id (an async_payment_succeeded
    # after completed, or a replay by reconciliation): settled, and nothing new happens.
    from app.payments.demo_gateway import DemoGateway, build_event, session_object, sign

    gateway = DemoGateway()
    obj = session_object(
        payment.session_id,
        purchase.order_id,
        amount_minor=5000,
        currency="GBP",
        status="complete",
        payment_status="paid",
        payment_intent_id=payment.payment_intent_id,
    )
    for kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        payload = build_event(kind, obj)
        row = record_event("demo", gateway.parse_event(payload, {"Demo-Signature": sign(payload)}))
        assert settle(row) == "already paid"
    # And the original event id again: stored once, so not even settled twice.
    payload = build_event("checkout.session.completed", obj, event_id=f"evt_{payment.session_id}_completed")
    assert record_event("demo", gateway.parse_event(payload, {"Demo-Signature": sign(payload)})) is None

    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 1
    assert db.session.scalar(select(func.count()).select_from(VoucherEntry)) == 1
    assert voucher_jobs() == 1


def test_an_unpaid_purchase_issues_nothing_and_can_expire(ctx, customer):
    purchase = start_purchase(customer, wish(5000))
    order_lifecycle.release_order(purchase.order, ReleaseReason.EXPIRED)
    assert purchase.order.status == OrderStatus.EXPIRED
    assert purchase.voucher is None
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0


@pytest.mark.parametrize("amount", [0, 999, 50001, -100])
def test_amounts_outside_the_limits_are_refused_and_nothing_is_made(ctx, customer, amount):
    with pytest.raises(ValidationFailed, match="between £10 and £500"):
        start_purchase(customer, wish(amount))
    assert db.session.scalar(select(func.count()).select_from(VoucherPurchase)) == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_an_unverified_buyer_is_asked_to_confirm_their_email(ctx, make_user):
    person = make_user(email_verified_at=None)
    with pytest.raises(ValidationFailed, match="Confirm your email"):
        start_purchase(person, wish(5000))


# -- expiry ------------------------------------------------------------------------------------


def test_a_voucher_expires_24_months_after_it_is_issued_by_default(ctx, customer):
    voucher = bought_voucher(customer)
    assert voucher.expires_at == add_months(voucher.issued_at, 24)
    assert voucher.expires_at - voucher.issued_at >= timedelta(days=365 * 2)


def test_months_are_added_as_people_count_them():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 2, 28, tzinfo=UTC), 12) == datetime(2028, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 22, 21, 30, tzinfo=UTC), 24) == datetime(2028, 11, 22, 21, 30, tzinfo=UTC)


def test_a_validity_under_12_months_is_refused_at_start_up(database_url):
    assert validity_months({"VOUCHER_VALIDITY_MONTHS": 12}) == 12
    with pytest.raises(ValueError, match="at least 12"):
        validity_months({"VOUCHER_VALIDITY_MONTHS": 11})
    with pytest.raises(ValueError, match="at least 12"):
        create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "VOUCHER_VALIDITY_MONTHS": 6})


def test_an_expired_voucher_is_refused_with_its_date_and_nothing_changes(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer)
    voucher.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    voucher.issued_at = voucher.expires_at - timedelta(days=800)
    db.session.flush()
    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match="expired on"):
            checkout_with(customer, service, future_slot(), voucher.code)
        attempt.rollback()
    assert ledger.balance(voucher) == 5000
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.voucher_applied_minor > 0)) == 0


# -- spending ----------------------------------------------------------------------------------


def test_a_voucher_smaller_than_the_order_pays_part_and_the_card_the_rest(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(), ledger.display_code(voucher.code).lower())

    due = amount_due(order)
    assert (due.total_minor, due.voucher_applied_minor, due.due_now_minor) == (6000, 2500, 3500)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert ledger.balance(voucher) == 0
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.amount_minor == 3500
    assert kinds(voucher) == [("issue", 2500), ("redeem", -2500)]


def test_a_voucher_that_covers_the_order_confirms_it_with_no_charge(ctx, customer, venue_and_service, run_jobs, outbox):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 10000)
    order = checkout_with(customer, service, future_slot(), voucher.code)

    assert order.status == OrderStatus.PAID and order.receipt_number is not None
    assert {b.status for b in order.bookings} == {BookingStatus.CONFIRMED}
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order.id)) == 0
    assert amount_due(order).due_now_minor == 0
    assert ledger.balance(voucher) == 4000
    [step] = [t for t in order_lifecycle.get_transitions(order) if t.event == "confirm_paid"]
    assert step.reason == "Paid in full by gift voucher"
    run_jobs()
    [receipt] = [m for m in outbox if m.subject.endswith(f"(receipt {order.receipt_number})")]
    assert receipt.to == [customer.email] and "of which by gift voucher: £60.00" in receipt.body


def test_what_is_left_pays_the_next_order_until_it_is_used_up(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 10000)
    checkout_with(customer, service, future_slot(days=3), voucher.code)
    second = checkout_with(customer, service, future_slot(days=4), voucher.code)
    assert second.voucher_applied_minor == 4000 and amount_due(second).due_now_minor == 2000
    assert ledger.balance(voucher) == 0

    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match="used up"):
            checkout_with(customer, service, future_slot(days=5), voucher.code)
        attempt.rollback()
    assert ledger.balance(voucher) == 0
    assert db.session.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == customer.id)) == 0


@pytest.mark.parametrize("code", ["", "nope", "ABCD-EFGH-JKMN-PQRS", "A" * 40])
def test_an_unknown_code_is_refused(ctx, customer, venue_and_service, code):
    _venue, service = venue_and_service
    with pytest.raises(ValidationFailed, match="don't know that gift voucher code"):
        ledger.apply_to_order(checkout_with(customer, service, future_slot(), None), code)


def test_a_venue_voucher_pays_only_for_that_venues_items(ctx, customer, provider, make_user, venue_and_service):
    venue, service = venue_and_service
    _other_venue, other_service = make_bookable_venue(make_user(role="provider"), name="Elsewhere Spa")
    voucher = bought_voucher(customer, 10000, venue_id=venue.id)
    assert voucher.venue_id == venue.id

    with db.session.begin_nested() as attempt:
        with pytest.raises(ValidationFailed, match="only for Calm Rooms"):
            checkout_with(customer, other_service, future_slot(), voucher.code)
        attempt.rollback()

    from app.booking import cart

    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=other_service.id,
        starts_at=future_slot(days=4),
        quantity=1,
        team_member_id=None,
    )
    mixed = checkout_with(customer, service, future_slot(days=4), voucher.code)
    assert mixed.total_minor == 12000
    assert mixed.voucher_applied_minor == 6000  # only Calm Rooms' £60
    assert amount_due(mixed).due_now_minor == 6000
    assert ledger.balance(voucher) == 4000


# -- giving back -------------------------------------------------------------------------------


def test_an_order_released_unpaid_gives_the_voucher_back_once(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    assert ledger.balance(voucher) == 0

    payments.release_for_change(order, customer=customer)
    order_lifecycle.release_order(order, ReleaseReason.ABANDONED)  # a late expiry event: no-op

    assert ledger.balance(voucher) == 2500
    assert kinds(voucher) == [("issue", 2500), ("redeem", -2500), ("release", 2500)]


def test_a_late_payment_takes_the_voucher_part_again_or_is_refused(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    payment = payments.start_payment(order)
    order_lifecycle.release_order(order, ReleaseReason.EXPIRED)
    assert ledger.balance(voucher) == 2500

    from app.payments.settlement import mark_paid

    assert mark_paid(payment, {"payment_intent_id": "demo_pi_late"}) == "paid: bookings confirmed"
    assert order.status == OrderStatus.PAID
    assert ledger.balance(voucher) == 0


def test_a_late_payment_whose_voucher_was_spent_meanwhile_is_refunded(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(days=3), voucher.code)
    payment = payments.start_payment(order)
    order_lifecycle.release_order(order, ReleaseReason.EXPIRED)
    checkout_with(customer, service, future_slot(days=4), voucher.code)  # spent elsewhere
    assert ledger.balance(voucher) == 0

    from app.payments.settlement import mark_paid

    assert mark_paid(payment, {"payment_intent_id": "demo_pi_late"}) == "paid too late: refunded in full"
    assert order.status == OrderStatus.FAILED
    assert ledger.balance(voucher) == 0


# -- refunds -----------------------------------------------------------------------------------


def test_a_cancellation_refunds_the_card_first_then_the_voucher(ctx, customer, venue_and_service, run_jobs):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(days=5), voucher.code)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert refundable(order) == 6000

    booking = order.bookings[0]
    refund = lifecycle.cancel_by_customer(booking, customer=customer)
    assert refund == 6000  # free cancellation
    payments.refund_booking(booking, refund, reason="Cancelled by the customer")

    [card] = db.session.scalars(select(Refund))
    assert card.amount_minor == 3500  # the whole card part
    assert ledger.balance(voucher) == 2500  # and the voucher part back on the voucher
    assert kinds(voucher)[-1] == ("refund", 2500)
    assert refundable(order) == 0
    run_jobs()  # the card refund settles
    db.session.refresh(order)
    assert order.status == OrderStatus.REFUNDED and order.refunded_minor == 6000


def test_an_order_paid_only_by_voucher_is_refunded_to_the_voucher(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 10000)
    order = checkout_with(customer, service, future_slot(days=5), voucher.code)
    booking = order.bookings[0]
    payments.refund_booking(booking, lifecycle.cancel_by_customer(booking, customer=customer), reason="Cancelled")

    assert ledger.balance(voucher) == 10000
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert order.status == OrderStatus.REFUNDED
    assert [t.event for t in order_lifecycle.get_transitions(order)][-1] == "refund_rest"


def test_a_refund_never_puts_back_more_than_the_order_took(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 10000)
    order = checkout_with(customer, service, future_slot(days=5), voucher.code)
    assert ledger.refund_to_voucher(order, 9999, booking_id=None, reason="too much") == 6000
    assert ledger.refund_to_voucher(order, 1, booking_id=None, reason="again") == 0
    assert ledger.balance(voucher) == 10000


# -- the database's guard -----------------------------------------------------------------------


def add_entry(**fields) -> None:
    """An entry written straight to the table, bypassing the ledger's code (in a savepoint)."""
    with db.session.begin_nested():
        db.session.add(VoucherEntry(**fields))
        db.session.flush()


def test_the_database_refuses_an_entry_that_would_overspend(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(), None)
    with pytest.raises(IntegrityError, match="voucher_balance_not_negative"):
        add_entry(voucher_id=voucher.id, kind=EntryKind.REDEEM, amount_minor=-2501, order_id=order.id)
    with pytest.raises(IntegrityError, match="sign_follows_kind"):
        add_entry(voucher_id=voucher.id, kind=EntryKind.REDEEM, amount_minor=100, order_id=order.id)
    assert ledger.balance(voucher) == 2500


def test_an_order_cant_record_more_voucher_than_its_total(ctx, customer, venue_and_service):
    _venue, service = venue_and_service
    order = checkout_with(customer, service, future_slot(), None)
    with pytest.raises(IntegrityError, match="voucher_applied_in_total"), db.session.begin_nested():
        db.session.execute(text("UPDATE orders SET voucher_applied_minor = 6001 WHERE id = :id"), {"id": order.id})
    applied = db.session.scalar(select(Order.voucher_applied_minor).where(Order.id == order.id))
    assert applied == 0
