"""StripeGateway through the real ``stripe`` library over HTTP: Checkout Sessions and Events
against a small fake (localstripe has none), PaymentIntents, refunds and real signed webhook
delivery to the running app against localstripe."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import stripe
from sqlalchemy import delete, func, select, text

from app.accounts.models import User
from app.booking import cart
from app.booking.models import Order, OrderStatus
from app.checkout import checkout
from app.payments.models import Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus
from app.payments.ports import HANDLED, GatewayError, InvalidEvent
from app.payments.refunds import request_refund
from app.payments.service import checkout_charge
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db
from app.platform.timefmt import moment_label
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.factories import UserFactory
from tests.payments.stripe_fakes import (
    LocalStripe,
    ThreadedServer,
    body,
    charge_refunded_event,
    checkout_event,
    event,
    new_id,
    sign,
)

SECRET_KEY = "sk_test_cozywish"
WEBHOOK_SECRET = "whsec_test_gateway"


@pytest.fixture
def gateway(fake_server):
    _, url = fake_server
    return StripeGateway(SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=url, max_network_retries=0)


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    with LocalStripe(tmp_path_factory.mktemp("localstripe")) as server:
        yield server


@pytest.fixture
def ls_gateway(localstripe):
    return StripeGateway(SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe.url, max_network_retries=0)


def two_venue_order(customer, provider, make_user, *, quantity: int = 2) -> Order:
    """One order across two venues: a massage for ``quantity`` people and a facial."""
    _, massage = make_bookable_venue(provider, capacity=4, name="Calm Rooms")
    other_owner = make_user(role=provider.role, name="Otto Owner")
    _, facial = make_bookable_venue(other_owner, name="Glow Studio", tz="Europe/Paris")
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(
        owner, service_id=massage.id, starts_at=future_slot(days=3, hour=10), quantity=quantity, team_member_id=None
    )
    cart.add_item(
        owner,
        service_id=facial.id,
        starts_at=future_slot("Europe/Paris", days=4, hour=15),
        quantity=1,
        team_member_id=None,
    )
    order = checkout.checkout(customer)
    db.session.flush()
    return order


# -- Checkout Sessions (the fake) -------------------------------------------------------------


def test_one_checkout_session_per_order_with_a_line_item_per_booking(fake, gateway, customer, provider, make_user):
    order = two_venue_order(customer, provider, make_user)
    success = f"http://127.0.0.1:5000/payments/return/{order.id}?session_id={{CHECKOUT_SESSION_ID}}"
    cancel = f"http://127.0.0.1:5000/orders/{order.id}"

    start = gateway.start_checkout(
        checkout_charge(order), success_url=success, cancel_url=cancel, idempotency_key=f"order-{order.id}-checkout"
    )

    assert len(fake.creates) == 1
    call = fake.creates[0]
    assert call.idempotency_key == f"order-{order.id}-checkout"
    assert call.authorization == f"Bearer {SECRET_KEY}"
    params = call.params
    assert params["mode"] == "payment"
    assert params["customer_email"] == customer.email
    assert params["metadata"] == {"order_id": str(order.id)}
    assert params["client_reference_id"] == str(order.id)
    assert params["success_url"] == success  # {CHECKOUT_SESSION_ID} left for Stripe to fill in
    assert params["cancel_url"] == cancel
    items = params["line_items"]
    assert len(items) == len(order.bookings) == 2
    for item, booking in zip(items, order.bookings, strict=True):
        assert item["price_data"]["currency"] == order.currency.lower() == "gbp"
        assert int(item["price_data"]["unit_amount"]) == booking.unit_price_minor
        assert int(item["quantity"]) == booking.quantity
        name = item["price_data"]["product_data"]["name"]
        # "Tue 1 Dec 2026, 15:00": the day without a leading zero (it failed on the 1st to the 9th)
        when = moment_label(booking.starts_at, ZoneInfo(booking.venue.timezone))
        assert name == f"{booking.service.name} at {booking.venue.name} — {when}"
    assert {int(i["quantity"]) for i in items} == {2, 1}
    assert sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items) == order.total_minor

    # expires_at: the holds' expiry, but never sooner than Stripe's 30-minute minimum.
    expires_at = int(params["expires_at"])
    now = time.time()
    assert expires_at >= now + 30 * 60
    assert expires_at - order.hold_expires_at.timestamp() <= 120
    assert start.session_id.startswith("cs_test_")
    assert start.url == fake.sessions[start.session_id]["url"]
    assert start.expires_at == datetime.fromtimestamp(expires_at, UTC)


def test_session_expiry_follows_a_longer_hold_exactly(gateway, customer, provider, make_user):
    order = two_venue_order(customer, provider, make_user, quantity=1)
    now = datetime.now(UTC).replace(microsecond=0)
    order.hold_expires_at = now + timedelta(minutes=50)
    assert gateway.session_expiry(order.hold_expires_at, now) == order.hold_expires_at
    order.hold_expires_at = now + timedelta(minutes=5)  # the customer came back late to pay
    assert gateway.session_expiry(order.hold_expires_at, now) >= now + timedelta(minutes=30)
    order.hold_expires_at = now + timedelta(days=3)
    assert gateway.session_expiry(order.hold_expires_at, now) < now + timedelta(hours=24)


def test_the_same_idempotency_key_gets_the_same_session(fake, gateway, customer, provider, make_user):
    order = two_venue_order(customer, provider, make_user, quantity=1)
    urls = {"success_url": "http://x/ok?session_id={CHECKOUT_SESSION_ID}", "cancel_url": "http://x/no"}
    first = gateway.start_checkout(checkout_charge(order), idempotency_key="order-1-checkout", **urls)
    again = gateway.start_checkout(checkout_charge(order), idempotency_key="order-1-checkout", **urls)
    assert first.session_id == again.session_id
    assert [c.idempotency_key for c in fake.creates] == ["order-1-checkout", "order-1-checkout"]


def test_lookup_reads_where_a_session_stands(fake, gateway, customer, provider, make_user):
    order = two_venue_order(customer, provider, make_user, quantity=1)
    start = gateway.start_checkout(
        checkout_charge(order), success_url="http://x/ok", cancel_url="http://x/no", idempotency_key="k"
    )
    status = gateway.lookup(start.session_id)
    assert (status.status, status.payment_status, status.payment_intent_id) == ("open", "unpaid", None)

    session = fake.complete(start.session_id)
    status = gateway.lookup(start.session_id)
    assert (status.status, status.payment_status) == ("complete", "paid")
    assert status.payment_intent_id == session["payment_intent"]


def test_gateway_errors_say_what_went_wrong(fake, gateway, fake_server):
    with pytest.raises(GatewayError, match=r"No such checkout\.session"):
        gateway.lookup("cs_test_missing")

    fake.fail_with = (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}})
    with pytest.raises(GatewayError, match="STRIPE_SECRET_KEY"):
        gateway.lookup("cs_test_any")

    fake.fail_with = (500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}})
    with pytest.raises(GatewayError, match="Stripe could not look up the checkout session"):
        gateway.lookup("cs_test_any")

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    unreachable = StripeGateway(SECRET_KEY, api_base=closed, max_network_retries=0)
    with pytest.raises(GatewayError, match="Could not reach Stripe"):
        unreachable.lookup("cs_test_any")

    with pytest.raises(GatewayError, match="STRIPE_SECRET_KEY"):
        StripeGateway(None).lookup("cs_test_any")


def test_recent_events_lists_only_settled_types_since_a_time_oldest_first(fake, gateway):
    now = int(time.time())
    old = fake.add_event(checkout_event("checkout.session.completed", "cs_test_old", order_id=1, created=now - 5000))
    second = fake.add_event(checkout_event("checkout.session.expired", "cs_test_b", order_id=2, created=now - 60))
    first = fake.add_event(checkout_event("checkout.session.completed", "cs_test_a", order_id=3, created=now - 120))
    fake.add_event(event("customer.created", {"id": "cus_1", "object": "customer"}, created=now - 30))

    events = gateway.recent_events(since=datetime.fromtimestamp(now - 600, UTC))

    assert [e.id for e in events] == [first["id"], second["id"]]
    assert old["id"] not in {e.id for e in events}
    assert events[0].session_id == "cs_test_a" and events[0].order_id == 3 and events[0].payment_status == "paid"
    query = fake.event_queries[-1]
    assert int(query["created"]["gte"]) == now - 600
    assert set(query["types"]) == HANDLED


# -- webhooks: verification and mapping -------------------------------------------------------


def test_parse_event_maps_a_completed_checkout(gateway):
    data = checkout_event("checkout.session.completed", "cs_test_1", order_id=42, payment_intent="pi_test_1")
    payload = body(data)
    parsed = gateway.parse_event(payload, {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)})
    assert (parsed.id, parsed.type) == (data["id"], "checkout.session.completed")
    assert (parsed.session_id, parsed.payment_intent_id, parsed.payment_status, parsed.order_id) == (
        "cs_test_1",
        "pi_test_1",
        "paid",
        42,
    )
    assert parsed.raw["data"]["object"]["metadata"] == {"order_id": "42"}


def test_our_signature_matches_the_stripe_librarys():
    payload = body(event("customer.created", {"id": "cus_1"}))
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET, timestamp=1700000000)
    assert sign(payload, WEBHOOK_SECRET, timestamp=1700000000) == header


def test_parse_event_maps_refunds_and_failed_payments(gateway):
    def parse(data):
        payload = body(data)
        return gateway.parse_event(payload, {"stripe-signature": sign(payload, WEBHOOK_SECRET)})

    refunded = parse(
        charge_refunded_event(
            "pi_test_9",
            [
                {"id": "re_old", "status": "succeeded", "amount": 1000, "created": 100},
                {"id": "re_new", "status": "pending", "amount": 500, "created": 200},
            ],
            amount=6000,
        )
    )
    assert (refunded.refund_id, refunded.refund_status, refunded.payment_intent_id) == (
        "re_new",
        "pending",
        "pi_test_9",
    )
    assert refunded.amount_refunded == 1000

    no_refunds_embedded = parse(event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_test_9"}))
    assert no_refunds_embedded.refund_id is None

    canceled = parse(event("refund.updated", {"id": "re_x", "object": "refund", "status": "canceled", "amount": 700}))
    assert (canceled.refund_id, canceled.refund_status, canceled.amount_refunded) == ("re_x", "failed", 700)

    failed = parse(
        event("payment_intent.payment_failed", {"id": "pi_test_f", "object": "payment_intent", "metadata": {}})
    )
    assert failed.payment_intent_id == "pi_test_f" and failed.order_id is None

    other = parse(event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert other.type == "customer.created" and other.session_id is None


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("tampered", "Signature check failed"),
        ("wrong secret", "Signature check failed"),
        ("stale", "Signature check failed"),
        ("no header", "Missing Stripe-Signature"),
        ("garbage header", "Signature check failed"),
        ("not json", "not a Stripe event"),
        ("json but no event", "no id or type"),
    ],
)
def test_parse_event_refuses_what_it_cant_trust(gateway, case, message):
    payload = body(checkout_event("checkout.session.completed", "cs_test_1", order_id=1))
    headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    if case == "tampered":
        payload = payload.replace(b'"order_id":"1"', b'"order_id":"2"')
    elif case == "wrong secret":
        headers = {"Stripe-Signature": sign(payload, "whsec_someone_else")}
    elif case == "stale":
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)}
    elif case == "no header":
        headers = {}
    elif case == "garbage header":
        headers = {"Stripe-Signature": "nonsense"}
    elif case == "not json":
        payload = b"{not json"
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    elif case == "json but no event":
        payload = b'{"object": "event"}'
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    with pytest.raises(InvalidEvent, match=message):
        gateway.parse_event(payload, headers)


def test_a_timestamp_inside_the_tolerance_is_accepted(gateway):
    payload = body(checkout_event("checkout.session.completed", "cs_test_1", order_id=1))
    header = sign(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 280)
    assert gateway.parse_event(payload, {"Stripe-Signature": header}).session_id == "cs_test_1"


# -- PaymentIntents and refunds (localstripe) -------------------------------------------------


def paid_intent(ls_gateway, amount: int = 6000) -> str:
    intent = ls_gateway.client.v1.payment_intents.create(
        params={"amount": amount, "currency": "gbp", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert intent.status == "succeeded"
    return intent.id


def test_refunds_against_localstripe(ls_gateway):
    intent = paid_intent(ls_gateway)

    part = ls_gateway.refund(intent, 1500, idempotency_key="refund-1")
    rest = ls_gateway.refund(intent, 4500, idempotency_key="refund-2")

    assert part.refund_id.startswith("re_") and part.status == "succeeded"
    assert rest.refund_id != part.refund_id and rest.status == "succeeded"
    listed = ls_gateway.client.v1.refunds.list(params={"payment_intent": intent})
    assert sorted(r.amount for r in listed.data) == [1500, 4500]


def test_a_declined_card_and_its_refund_refused(ls_gateway):
    with pytest.raises(stripe.CardError) as declined:
        ls_gateway.client.v1.payment_intents.create(
            params={"amount": 6000, "currency": "gbp", "payment_method": "pm_card_chargeCustomerFail", "confirm": True}
        )
    assert declined.value.code == "card_declined"
    intents = ls_gateway.client.v1.payment_intents.list()
    failed = next(i for i in intents.data if i.payment_method == "pm_card_chargeCustomerFail")
    assert failed.status == "requires_payment_method"

    with pytest.raises(GatewayError, match="Stripe could not issue the refund: Cannot refund a failed payment"):
        ls_gateway.refund(failed.id, 6000, idempotency_key="refund-x")


def test_the_refund_job_settles_through_localstripe(
    app, ls_gateway, localstripe, monkeypatch, customer, provider, run_jobs
):
    """A cancellation's refund: recorded, issued by the job through stripe, settled."""
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe.url)
    _, service = make_bookable_venue(provider)
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=service.id, starts_at=future_slot(), quantity=1, team_member_id=None)
    order = checkout.checkout(customer)
    order.status = OrderStatus.PAID
    payment = Payment(
        order_id=order.id,
        gateway="stripe",
        session_id=new_id("cs"),
        payment_intent_id=paid_intent(ls_gateway, order.total_minor),
        amount_minor=order.total_minor,
        currency=order.currency,
        status=PaymentStatus.SUCCEEDED,
        expires_at=order.hold_expires_at,
    )
    db.session.add(payment)
    db.session.flush()
    refund = request_refund(payment, 2500, reason="Cancelled by the customer")
    db.session.commit()

    run_jobs()

    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.gateway_refund_id.startswith("re_")
    assert refund.status == RefundStatus.SUCCEEDED
    order = db.session.get(Order, order.id)
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 2500)


# -- real signed webhook delivery to the running app (localstripe) ----------------------------


@pytest.fixture
def live_app(app, monkeypatch):
    """The app served on loopback by a real HTTP server, as Stripe would reach it."""
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    with ThreadedServer(app) as server:
        yield server.url


def _wait_for(check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while True:
        with db.session.no_autoflush:
            db.session.rollback()  # see what the server thread committed
            found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.committing
@pytest.mark.slow
def test_localstripe_delivers_signed_webhooks_that_are_stored_once_and_settled(
    app, localstripe, ls_gateway, live_app, caplog
):
    hook = f"cozywish-{new_id('hook')}"
    with app.app_context():
        last_job = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs"))
        last_event = db.session.scalar(select(func.coalesce(func.max(PaymentEvent.id), 0)))
        user = UserFactory(email=f"{new_id('payer')}@example.com")
        order = Order(
            customer_id=user.id,
            status=OrderStatus.PENDING_PAYMENT,
            currency="gbp",
            total_minor=6000,
            hold_expires_at=datetime.now(UTC) + timedelta(minutes=30),
        )
        db.session.add(order)
        db.session.flush()
        intent = ls_gateway.client.v1.payment_intents.create(
            params={"amount": 6000, "currency": "gbp", "payment_method": "pm_card_chargeCustomerFail"}
        )
        payment = Payment(
            order_id=order.id,
            gateway="stripe",
            session_id=new_id("cs"),
            payment_intent_id=intent.id,
            amount_minor=6000,
            currency="gbp",
            status=PaymentStatus.OPEN,
            expires_at=order.hold_expires_at,
        )
        db.session.add(payment)
        db.session.commit()
        user_id, order_id = user.id, order.id
    try:
        # One receiver with our secret; a second with a wrong one, which the app must refuse.
        localstripe.register_webhook(
            hook,
            f"{live_app}/payments/stripe/webhook",
            WEBHOOK_SECRET,
            ["payment_intent.payment_failed", "payment_intent.succeeded"],
        )
        localstripe.register_webhook(
            f"{hook}-forged", f"{live_app}/payments/stripe/webhook", "whsec_forged", ["payment_intent.payment_failed"]
        )
        with pytest.raises(stripe.CardError):
            ls_gateway.client.v1.payment_intents.confirm(intent.id)
        succeeded = paid_intent(ls_gateway)  # payment_intent.succeeded: a type we store and ignore

        def ours():
            rows = db.session.scalars(select(PaymentEvent).where(PaymentEvent.id > last_event)).all()
            mine = [r for r in rows if r.payload["parsed"]["payment_intent_id"] in (intent.id, succeeded)]
            return mine if len(mine) >= 2 else None

        with app.app_context():
            rows = _wait_for(ours)
            assert rows, "localstripe delivered no webhook to the app"
            by_type = {r.type: r for r in rows}
            assert sorted(by_type) == ["payment_intent.payment_failed", "payment_intent.succeeded"]
            assert by_type["payment_intent.payment_failed"].payload["parsed"]["payment_intent_id"] == intent.id
            assert by_type["payment_intent.payment_failed"].gateway == "stripe"

            from app.platform.jobs import run_pending_jobs

            with app.test_request_context():
                run_pending_jobs()
                db.session.commit()
            db.session.expire_all()
            settled = {r.type: r for r in ours()}
            assert settled["payment_intent.payment_failed"].outcome == "noted: a payment attempt failed"
            assert settled["payment_intent.succeeded"].outcome.startswith("ignored")
            assert all(r.processed_at is not None for r in settled.values())
            assert len(rows) == len({r.event_id for r in rows}) == 2  # each stored once
            # The receiver registered with the wrong secret was refused, and stored nothing.
            deadline = time.monotonic() + 10
            while "stripe webhook refused: Signature check failed" not in caplog.text:
                assert time.monotonic() < deadline, "the forged delivery was not refused"
                time.sleep(0.2)
            assert len(ours()) == 2
            assert db.session.get(Order, order_id).status == OrderStatus.PENDING_PAYMENT  # the customer may retry
    finally:
        localstripe.register_webhook(hook, "http://127.0.0.1:9/", WEBHOOK_SECRET, ["none"])  # silence
        localstripe.register_webhook(f"{hook}-forged", "http://127.0.0.1:9/", WEBHOOK_SECRET, ["none"])
        with app.app_context():
            db.session.rollback()
            db.session.execute(delete(PaymentEvent).where(PaymentEvent.id > last_event))
            db.session.execute(delete(Order).where(Order.id == order_id))  # payments cascade
            db.session.execute(delete(User).where(User.id == user_id))
            db.session.execute(text("DELETE FROM procrastinate_jobs WHERE id > :last"), {"last": last_job})
            db.session.commit()
