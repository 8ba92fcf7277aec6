"""The order lifecycle (app/booking/order_lifecycle.py): its table, the rows each step writes,
the one "times reopened" event, the amount due and what is refundable, and refunds through
the gateway that took the payment. Orders are confirmed here the way production confirms
them: by settling the gateway's event."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.booking import cart, lifecycle, order_lifecycle
from app.booking.amounts import AmountDue, amount_due, amount_due_for
from app.booking.events import times_reopened
from app.booking.models import Booking, BookingStatus, Order, OrderStatus, OrderTransition, ReleaseReason
from app.booking.references import new_reference
from app.checkout import checkout
from app.demo.views import deliver_demo_event, demo_session_event
from app.payments import gateway as gateways
from app.payments import service as payments
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.gateway import get_gateway
from app.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from app.payments.ports import RefundResult
from app.payments.refunds import refundable, refundable_of, request_refund, settle_refund
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue, put_in_cart
from tests.statements import statements_sent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bookable(ctx, provider):
    """Calm Rooms: one 60-minute massage at £60.00, with one therapist."""
    return make_bookable_venue(provider, team=1)


def held(customer, service, *, hour: int = 10, quantity: int = 1) -> Order:
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(hour=hour),
        quantity=quantity,
        team_member_id=None,
    )
    return checkout.checkout(customer)


def transitions(order: Order) -> list[tuple[str | None, str, str]]:
    return [(t.from_state, t.event, t.to_state) for t in order_lifecycle.get_transitions(order)]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- the table -----------------------------------------------------------------------------------

P, F, E, R = "pending_payment", "failed", "expired", "released"
DOCUMENTED = {
    (None, "hold"): P,
    (P, "confirm_paid"): "paid",
    (P, "release_declined"): F,
    (P, "release_abandoned"): E,
    (P, "release_expired"): E,
    (P, "release_cancelled"): R,
    (F, "confirm_paid"): "paid",
    (E, "confirm_paid"): "paid",
    (R, "confirm_paid"): "paid",
    (P, "confirm_secured"): "paid",
    (P, "confirm_at_desk"): "paid",  # booked at the front desk, paid at the venue (app/clients/desk.py)
    (F, "confirm_secured"): "paid",
    (E, "confirm_secured"): "paid",
    (R, "confirm_secured"): "paid",
    (F, "refuse_late_payment"): F,
    (E, "refuse_late_payment"): F,
    (R, "refuse_late_payment"): F,
    ("paid", "refund_part"): "partially_refunded",
    ("partially_refunded", "refund_part"): "partially_refunded",
    ("paid", "refund_rest"): "refunded",
    ("partially_refunded", "refund_rest"): "refunded",
    (F, "refund_part"): F,
    (F, "refund_rest"): F,
    ("paid", "record_top_up"): "paid",
    ("partially_refunded", "record_top_up"): "partially_refunded",
}


def test_the_order_table_is_the_documented_one():
    assert order_lifecycle.TRANSITIONS == DOCUMENTED
    reachable = set(DOCUMENTED.values())
    assert reachable == set(OrderStatus)  # every status is reached by some step
    assert set(order_lifecycle.STATUS_LABELS) == set(OrderStatus)
    # The four release reasons, each an event of the table.
    assert {event for event, _ in order_lifecycle.RELEASES.values()} <= order_lifecycle.EVENTS
    assert set(order_lifecycle.RELEASES) == set(ReleaseReason)


def bare_order(customer, status: str | None) -> Order:
    """An order (no bookings) put straight into ``status`` for the table test."""
    order = order_lifecycle.hold(customer, currency="GBP", hold_until=datetime.now(UTC) + timedelta(minutes=30))
    if status is not None:
        order.status = status  # test set-up only: the code under test never does this
    db.session.flush()
    return order


@pytest.mark.parametrize("event", sorted(order_lifecycle.EVENTS))
@pytest.mark.parametrize("status", [s.value for s in OrderStatus])
def test_move_follows_the_table_or_changes_nothing(ctx, customer, provider, status, event):
    order = bare_order(customer, status)
    rows_before = count(OrderTransition, OrderTransition.order_id == order.id)
    audits_before = count(AuditEntry, AuditEntry.subject_type == "order", AuditEntry.subject_id == order.id)
    target = DOCUMENTED.get((status, event))

    if target is None:
        with pytest.raises(InvalidTransition, match="can't do that"):
            order_lifecycle.move(order, event, actor=provider, reason="because")
        db.session.flush()
        db.session.refresh(order)
        assert order.status == status
        assert count(OrderTransition, OrderTransition.order_id == order.id) == rows_before
        assert count(AuditEntry, AuditEntry.subject_type == "order", AuditEntry.subject_id == order.id) == audits_before
    else:
        order_lifecycle.move(order, event, actor=provider, reason="because", amount_minor=100)
        db.session.flush()
        db.session.refresh(order)
        assert order.status == target
        last = order_lifecycle.get_transitions(order)[-1]
        assert (last.from_state, last.event, last.to_state, last.actor_id) == (status, event, target, provider.id)
        assert (last.reason, last.amount_minor) == ("because", 100)
        [entry, *_] = audit.find_entries(subject_type="order", subject_id=order.id)
        assert (entry.action, entry.from_state, entry.to_state) == (f"order.{event}", status, target)
        assert entry.data == {"amount_minor": 100}


def test_a_new_order_can_only_be_held(ctx, customer):
    order = Order(customer_id=customer.id, currency="GBP", total_minor=0, hold_expires_at=datetime.now(UTC))
    with pytest.raises(InvalidTransition):
        order_lifecycle.move(order, "confirm_paid")
    assert order.status is None and order.id is None


# -- production's path, step by step -------------------------------------------------------------


def test_checkout_holds_and_the_gateways_event_confirms(bookable, customer, run_jobs, outbox):
    _venue, service = bookable
    order = held(customer, service)
    assert transitions(order) == [(None, "hold", P)]

    assert pay_by_demo_card(order) == "paid: bookings confirmed"

    db.session.expire_all()
    assert order.status == OrderStatus.PAID and order.receipt_number is not None and order.paid_at
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]
    assert transitions(order) == [(None, "hold", P), (P, "confirm_paid", "paid")]
    actions = [e.action for e in reversed(audit.find_entries(subject_type="order", subject_id=order.id))]
    assert actions == ["order.hold", "order.confirm_paid"]
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert (payment.gateway, payment.status, payment.amount_minor) == ("demo", PaymentStatus.SUCCEEDED, 6000)
    run_jobs()
    # One email per payment: the confirmation carries the receipt.
    [subject] = [m.subject for m in outbox if m.to == [customer.email]]
    assert subject.startswith("Booked:") and subject.endswith(f"(receipt {order.receipt_number})")


def test_the_same_payment_event_twice_confirms_once(bookable, customer):
    _venue, service = bookable
    order = held(customer, service)
    pay_by_demo_card(order)
    payment = db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert order_lifecycle.confirm_paid(payment.order) == "already paid"
    assert [event for _, event, _ in transitions(order)] == ["hold", "confirm_paid"]


def test_confirming_locks_only_the_bookings_and_reads_their_venue_service_and_team_member_with_them(bookable, customer):
    _venue, service = bookable
    order = held(customer, service)
    payment = payments.start_payment(order)
    db.session.commit()
    db.session.expire_all()

    with statements_sent() as sent:
        assert order_lifecycle.confirm_paid(payment.order) == "confirmed"
    reads = [" ".join(s.split()) for s in sent if s.lstrip().startswith("SELECT bookings.")]
    [locked] = [read for read in reads if " FOR UPDATE" in read]
    assert locked.endswith("FOR UPDATE OF bookings")  # the venue, service and member rows stay free
    assert all(f" JOIN {table} " in locked for table in ("venues", "services", "team_members"))
    [booking] = order.bookings
    with statements_sent() as later:
        assert (booking.venue.name, booking.service.name, booking.team_member is not None) == (
            "Calm Rooms",
            service.name,
            True,
        )
    assert later == []


def test_money_after_a_release_confirms_while_the_time_is_free(bookable, customer, run_jobs):
    _venue, service = bookable
    order = held(customer, service)
    payment = payments.start_payment(order)
    order_lifecycle.expire_holds(now=order.hold_expires_at + timedelta(seconds=1))
    assert order.status == OrderStatus.EXPIRED

    assert order_lifecycle.confirm_paid(payment.order) == "confirmed"

    [booking] = order.bookings
    assert booking.status == BookingStatus.CONFIRMED
    actions = [e.action for e in reversed(audit.find_entries(subject_type="booking", subject_id=booking.id))]
    assert actions == ["booking.expire", "booking.take_back", "booking.confirm"]
    assert [event for _, event, _ in transitions(order)] == ["hold", "release_expired", "confirm_paid"]


def test_money_after_a_release_whose_time_went_is_refused(bookable, customer, make_user):
    _venue, service = bookable
    order = held(customer, service)
    order_lifecycle.release_order(order, ReleaseReason.DECLINED)
    held(make_user(), service)  # someone else took the time meanwhile

    assert order_lifecycle.confirm_paid(order) == "too late"

    assert order.status == OrderStatus.FAILED
    assert [b.status for b in order.bookings] == [BookingStatus.EXPIRED]
    assert transitions(order)[-1] == (F, "refuse_late_payment", F)


# -- every status write goes through a lifecycle ---------------------------------------------------

LIFECYCLE_MODULES = {"app/booking/lifecycle.py", "app/booking/order_lifecycle.py"}
# Objects whose own ``.status`` other modules may write (not orders, not bookings).
# export: a data export (app/privacy); account, transfer, reversal: a venue's payout account, a
# transfer to it and its reversal (app/payouts); redemption: a promo code's use (app/promos);
# entry, offer: a waitlist entry and offer (app/waitlist); top_up: a move's top-up (app/checkout/top_ups.py);
# reply, report: a venue's answer to a review and a report of one (app/reviews/replies.py); record: an
# Idempotency-Key's stored answer (app/api/conventions.py); delivery: a webhook delivery (app/webhooks);
# moderated: a review or a venue's answer hidden or published (app/reviews/service.py).
OTHER_STATUSES = {
    "payment",
    "fee",
    "refund",
    "review",
    "venue",
    "row",
    "export",
    "account",
    "transfer",
    "reversal",
    "redemption",
    "entry",
    "offer",
    "top_up",
    "reply",
    "report",
    "record",
    "delivery",
    "moderated",
    "membership",  # app/memberships: a membership's own state, not an order's
    "period",  # a membership's month, paid or failed; its order moves through the lifecycle
}


def status_writes(path: Path, root: Path = ROOT) -> list[str]:
    """Every ``<name>.status = ...`` and ``status=OrderStatus|BookingStatus...`` in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                owner = ast.unparse(target.value)
                if owner.split(".")[-1] not in OTHER_STATUSES:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.keyword) and node.arg == "status":
            value = ast.unparse(node.value)
            if value.startswith(("OrderStatus.", "BookingStatus.", "B.", "OS.")):
                found.append(f"{path.relative_to(root)}:{node.value.lineno}: status={value}")
    return found


def test_only_the_lifecycles_write_an_order_or_booking_status():
    offenders = [
        line
        for path in sorted((ROOT / "app").rglob("*.py"))
        if str(path.relative_to(ROOT)) not in LIFECYCLE_MODULES
        for line in status_writes(path)
    ]
    assert offenders == []
    # The check itself finds what it looks for.
    assert any("order.status = target" in line for line in status_writes(ROOT / "app/booking/order_lifecycle.py"))
    assert any("booking.status = target" in line for line in status_writes(ROOT / "app/booking/lifecycle.py"))


def test_the_status_check_catches_a_direct_write(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(order, b, payment):\n"
        "    order.status = 'paid'\n"
        "    b.status = BookingStatus.HELD\n"
        "    payment.status = 'succeeded'\n"
        "    q = update(Booking).values(status=BookingStatus.EXPIRED)\n"
    )
    lines = status_writes(sample, root=tmp_path)
    assert [line.split(": ", 1)[1] for line in lines] == [
        "order.status = 'paid'",
        "b.status = BookingStatus.HELD",
        "status=BookingStatus.EXPIRED",
    ]


def test_there_is_one_hold_expiry_function():
    sources = {p: p.read_text() for p in (ROOT / "app").rglob("*.py")}
    names = ("def expire_holds(", "def expire_stale_holds(", "def release_expired_orders(")
    defining = sorted(str(p.relative_to(ROOT)) for p, text in sources.items() if any(n in text for n in names))
    assert defining == ["app/booking/order_lifecycle.py"]
    assert not hasattr(lifecycle, "confirm_order")  # the tests-only path is gone


# -- times reopened ----------------------------------------------------------------------------------


@pytest.fixture
def reopened():
    heard: list[tuple[str, dict]] = []

    def listen(sender, **kwargs):
        heard.append((sender, kwargs))

    times_reopened.connect(listen)
    yield heard
    times_reopened.disconnect(listen)


def settle_demo(payment: Payment, event_type: str, outcome: str, run_jobs, **fields) -> None:
    assert deliver_demo_event(demo_session_event(payment, event_type, outcome, **fields))
    run_jobs()


def decline(order, customer, run_jobs):
    payment = payments.start_payment(order)
    settle_demo(
        payment, "checkout.session.async_payment_failed", "failed", run_jobs, status="complete", payment_status="unpaid"
    )


def abandon(order, customer, run_jobs):
    payment = payments.start_payment(order)
    settle_demo(payment, "checkout.session.expired", "expired", run_jobs, status="expired", payment_status="unpaid")


def run_out(order, customer, run_jobs):
    order_lifecycle.expire_holds(now=order.hold_expires_at + timedelta(seconds=1))


def cancel(order, customer, run_jobs):
    payments.release_for_change(order, customer=customer)


RELEASES = [
    (decline, ReleaseReason.DECLINED, OrderStatus.FAILED),
    (abandon, ReleaseReason.ABANDONED, OrderStatus.EXPIRED),
    (run_out, ReleaseReason.EXPIRED, OrderStatus.EXPIRED),
    (cancel, ReleaseReason.CHANGED, OrderStatus.RELEASED),
]


@pytest.mark.parametrize(
    ("release", "reason", "status"), RELEASES, ids=["declined", "abandoned", "expired", "cancelled"]
)
def test_every_release_fires_times_reopened_once(bookable, customer, run_jobs, reopened, release, reason, status):
    _venue, service = bookable
    order = held(customer, service, quantity=1)
    [booking] = order.bookings
    assert reopened == []  # holding reopens nothing

    release(order, customer, run_jobs)

    db.session.expire_all()
    assert order.status == status
    [(sender, kwargs)] = reopened
    assert sender == reason and kwargs["order_id"] == order.id
    [time] = kwargs["times"]
    assert (time.venue_id, time.service_id, time.team_member_id) == (
        booking.venue_id,
        booking.service_id,
        booking.team_member_id,
    )
    assert time.team_member_id is not None  # the one therapist, reopened with the time
    assert (time.starts_at, time.ends_at, time.blocks_until, time.quantity) == (
        booking.starts_at,
        booking.ends_at,
        booking.blocks_until,
        1,
    )
    # Releasing again (a webhook racing the customer, the periodic job) fires nothing more.
    order_lifecycle.release_order(order, ReleaseReason.EXPIRED)
    order_lifecycle.expire_holds(now=datetime.now(UTC) + timedelta(hours=2))
    assert len(reopened) == 1


@pytest.mark.parametrize("by", ["customer", "venue"])
def test_a_booking_cancellation_fires_times_reopened_once(bookable, customer, provider, reopened, by):
    _venue, service = bookable
    booking = book(customer, service, future_slot(days=5))
    assert reopened == []  # paying reopens nothing

    if by == "customer":
        lifecycle.cancel_by_customer(booking, customer=customer)
    else:
        lifecycle.cancel_by_venue(booking, actor=provider, reason="The therapist is ill")

    [(sender, kwargs)] = reopened
    assert sender == f"cancelled_by_{by}" and kwargs["order_id"] == booking.order_id
    [time] = kwargs["times"]
    assert (time.service_id, time.team_member_id, time.starts_at) == (
        booking.service_id,
        booking.team_member_id,
        booking.starts_at,
    )


# -- the amount due ------------------------------------------------------------------------------------


def test_the_amount_due_of_an_order_is_its_items_and_what_the_payment_charges(ctx, provider, customer):
    _venue, massage = make_bookable_venue(provider, capacity=3)
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=massage.id,
        starts_at=future_slot(hour=11),
        quantity=3,
        team_member_id=None,
    )
    order = held(customer, massage, hour=14)

    due = amount_due(order)

    assert due == AmountDue(currency="GBP", items_subtotal_minor=4 * 6000)
    assert (due.total_minor, due.due_now_minor, order.total_minor) == (24000, 24000, 24000)
    assert [(line.label, line.minor) for line in due.lines()] == [("Items", 24000)]
    assert payments.start_payment(order).amount_minor == due.due_now_minor


@pytest.mark.parametrize(
    "fields",
    [
        {"items_subtotal_minor": -1},
        {"items_subtotal_minor": 100, "promo_discount_minor": 101},
        {"items_subtotal_minor": 100, "voucher_applied_minor": 60, "due_at_venue_minor": 41},
        {"items_subtotal_minor": 100, "due_at_venue_minor": 80, "deposit_due_now_minor": 21},
        {"items_subtotal_minor": 1.5},
    ],
)
def test_an_amount_that_cannot_add_up_is_refused(fields):
    with pytest.raises(ValueError, match=r"can't|non-negative|part of"):
        AmountDue(currency="GBP", **fields)


def test_the_lines_of_a_discounted_part_paid_order_add_up():
    due = AmountDue(
        currency="GBP",
        items_subtotal_minor=10000,
        promo_discount_minor=1000,
        voucher_applied_minor=2500,
        deposit_due_now_minor=1500,
        due_at_venue_minor=4000,
    )
    assert (due.total_minor, due.due_now_minor) == (9000, 2500)
    assert sum(line.minor for line in due.lines()) == due.due_now_minor
    assert due.voucher_applied_minor + due.due_now_minor + due.due_at_venue_minor == due.total_minor


# -- refunds through the gateway that took the payment -------------------------------------------------


def test_a_refund_goes_through_the_gateway_that_took_the_payment(app, bookable, customer, run_jobs, monkeypatch):
    _venue, service = bookable
    booking = book(customer, service, future_slot(days=5))  # paid with the Demo gateway
    # Reconfigured to Stripe since (at an address where nothing answers): new payments would go there.
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_reconfigured")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    assert get_gateway().name == "stripe"

    refund_due = lifecycle.cancel_by_customer(booking, customer=customer)
    payments.refund_booking(booking, refund_due, reason="cancelled")
    done = run_jobs()

    assert not [name for name in done if name.endswith(":failed")]
    refund = db.session.scalars(select(Refund)).one()
    assert refund.gateway_refund_id.startswith("demo_re_") and refund.status == RefundStatus.SUCCEEDED
    order = db.session.get(Order, booking.order_id)
    db.session.refresh(order)
    assert (order.status, order.refunded_minor) == (OrderStatus.REFUNDED, 6000)
    assert transitions(order)[-1] == ("paid", "refund_rest", "refunded")


class RecordingGateway:
    """A gateway object of our own, registered by name, that records the refunds it is asked for."""

    name = "recorder"

    def __init__(self, calls: list):
        self.calls = calls

    def start_checkout(self, charge, *, success_url, cancel_url, idempotency_key):
        from app.payments.ports import CheckoutStart

        return CheckoutStart(
            session_id=f"demo_cs_recorder{charge.order_id:012d}", url="/", expires_at=charge.expires_at
        )

    def refund(self, payment_intent_id, amount_minor, *, idempotency_key):
        self.calls.append((payment_intent_id, amount_minor))
        return RefundResult(refund_id=f"rec_{idempotency_key}", status="pending")


def test_a_refund_of_another_gateways_payment_never_goes_through_the_configured_one(
    bookable, customer, run_jobs, monkeypatch
):
    calls: list = []
    monkeypatch.setitem(gateways.GATEWAYS, "recorder", lambda: RecordingGateway(calls))
    _venue, service = bookable
    order = held(customer, service)
    payment = payments.start_payment(order, gateway=RecordingGateway(calls))
    settle_demo(
        payment,
        "checkout.session.completed",
        "completed",
        run_jobs,
        status="complete",
        payment_status="paid",
        payment_intent_id="pi_recorded",
    )
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
    assert get_gateway().name == "demo"  # the configured gateway

    request_refund(payment, 2500, reason="goodwill")
    run_jobs()

    assert calls == [("pi_recorded", 2500)]
    refund = db.session.scalars(select(Refund)).one()
    assert refund.gateway_refund_id.startswith("rec_") and refund.status == RefundStatus.PENDING


def test_more_than_is_refundable_is_refused_and_changes_nothing(bookable, customer):
    _venue, service = bookable
    booking = book(customer, service, future_slot(days=5))
    payment = db.session.scalars(select(Payment).where(Payment.order_id == booking.order_id)).one()
    request_refund(payment, 4000, reason="part")

    for amount in (2001, 0, -5):
        with pytest.raises(ValidationFailed, match="between 1 and 2000"):
            request_refund(payment, amount, reason="too much")
    assert count(Refund) == 1 and refundable(payment) == 2000 == refundable(payment.order)


# -- amounts add up, whatever the cart and the refunds -----------------------------------------------

carts = st.lists(
    st.tuples(st.integers(min_value=0, max_value=500_000), st.integers(min_value=1, max_value=20)),
    min_size=1,
    max_size=6,
)
refund_asks = st.lists(
    st.tuples(st.integers(min_value=-10, max_value=1_000_000), st.sampled_from(["succeeded", "failed", "pending"])),
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=carts, asks=refund_asks)
def test_amounts_add_up_for_any_cart_and_refunds(bookable, customer, items, asks):
    venue, service = bookable
    savepoint = db.session.begin_nested()
    try:
        order = order_lifecycle.hold(customer, currency="GBP", hold_until=datetime.now(UTC) + timedelta(minutes=30))
        start = future_slot(days=9)
        for n, (price, quantity) in enumerate(items):
            db.session.add(
                Booking(
                    reference=new_reference(),
                    order_id=order.id,
                    customer_id=customer.id,
                    venue_id=venue.id,
                    service_id=service.id,
                    starts_at=start + timedelta(hours=n),
                    ends_at=start + timedelta(hours=n, minutes=60),
                    blocks_until=start + timedelta(hours=n, minutes=60),
                    hold_expires_at=order.hold_expires_at,
                    quantity=quantity,
                    unit_price_minor=price,
                    currency="GBP",
                    cancel_free_hours=24,
                    cancel_late_fee_percent=None,
                )
            )
        db.session.flush()
        db.session.refresh(order)
        due = amount_due(order)
        assert due == amount_due_for(items, "GBP")
        assert due.total_minor == sum(price * quantity for price, quantity in items)
        assert sum(line.minor for line in due.lines()) == due.due_now_minor == due.total_minor
        assert due.voucher_applied_minor + due.due_now_minor + due.due_at_venue_minor == due.total_minor

        payment = Payment(
            order_id=order.id,
            gateway="demo",
            session_id=f"demo_cs_{new_reference()}",
            amount_minor=due.due_now_minor,
            currency="GBP",
            status=PaymentStatus.SUCCEEDED,
            expires_at=order.hold_expires_at,
        )
        db.session.add(payment)
        db.session.flush()
        assert order_lifecycle.confirm_paid(order) == "confirmed"
        charged = payment.amount_minor

        for amount, outcome in asks:
            left = refundable(payment)
            assert left >= 0
            if not 0 < amount <= left:
                with pytest.raises(ValidationFailed):
                    request_refund(payment, amount, reason="property")
                continue
            refund = request_refund(payment, amount, reason="property")
            assert refundable(payment) == left - amount  # money on its way is not offered twice
            if outcome != "pending":
                settle_refund(refund, outcome)

        refunds = list(db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)))
        succeeded = sum(r.amount_minor for r in refunds if r.status == RefundStatus.SUCCEEDED)
        asked = sum(r.amount_minor for r in refunds if r.status != RefundStatus.FAILED)
        assert succeeded <= asked <= charged
        assert (
            refundable(payment)
            == charged - asked
            == refundable_of(charged, [(r.amount_minor, r.status) for r in refunds])
        )
        assert order.refunded_minor == succeeded
        expected = "paid" if succeeded == 0 else ("refunded" if succeeded == charged else "partially_refunded")
        assert order.status == expected
        recorded = sum(t.amount_minor or 0 for t in order_lifecycle.get_transitions(order) if "refund" in t.event)
        assert recorded == succeeded
    finally:
        savepoint.rollback()


def test_an_order_locked_again_in_the_same_transaction_is_not_read_again(ctx, provider, customer):
    """A lock taken outside any savepoint lasts until the transaction ends: asking again sends
    nothing. One taken inside a savepoint that was rolled back is gone: asking again locks it."""
    _venue, service = make_bookable_venue(provider)
    put_in_cart(customer, service)
    order_id = checkout.checkout(customer).id
    db.session.commit()
    with db.session.begin_nested() as inner:
        order_lifecycle.lock_order(order_id)
        inner.rollback()
    with statements_sent() as sent:
        first = order_lifecycle.lock_order(order_id)  # locked again: the savepoint let it go
        again = order_lifecycle.lock_order(order_id)
    assert again is first
    assert len([s for s in sent if "FOR UPDATE" in s]) == 1, sent
    db.session.commit()  # the transaction ends, and its locks with it
    with statements_sent() as sent:
        order_lifecycle.lock_order(order_id)
    assert len([s for s in sent if "FOR UPDATE" in s]) == 1, sent
