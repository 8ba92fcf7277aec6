"""Memberships on Stripe Billing (docs/memberships-stripe.md): the first month's Checkout Session
in subscription mode, then Stripe's own invoices and subscription events, stored once and settled
by app/memberships/billing.py: the subscription linked, each month paid once per invoice, a failed
month past due then paused, a cancellation in Stripe's portal, the subscription ended. Stripe is
the recorded-contract fake (tests/payouts/connect_fake.py) over real HTTP, driven by the real
``stripe`` library; events are Stripe-shaped dicts (basil and older API versions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import jsonify, request
from sqlalchemy import func, select

from app.booking.models import OrderStatus
from app.memberships import cancelling, plans, service
from app.memberships.models import Membership, MembershipPeriod, MembershipStatus, PeriodStatus
from app.payments.models import Payment, PaymentEvent
from app.payments.ports import CheckoutCharge, LineItem
from app.payments.service import checkout_charge
from app.payments.settlement import record_event, settle
from app.payments.stripe_events import to_gateway_event
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db
from tests.booking.helpers import make_bookable_venue
from tests.payments.stripe_fakes import ThreadedServer, body, checkout_event, event, new_id, open_stripe_payment, sign
from tests.payouts.connect_fake import ConnectFake
from tests.payouts.helpers import connect, transfers_of

SECRET = "whsec_test_billing"
URL = "/payments/stripe/webhook"
PRICE = 9900


class BillingFake(ConnectFake):
    """The Connect fake with the two Billing endpoints we call: a subscription's update and an
    invoice's payments (from API version 2025-03-31, the invoice names no PaymentIntent)."""

    invoice_intents: dict[str, str]

    def reset(self) -> None:
        super().reset()
        self.invoice_intents = {}

    def wsgi_app(self):
        app = super().wsgi_app()

        @app.post("/v1/subscriptions/<subscription_id>")
        def update_subscription(subscription_id: str):
            return jsonify(
                id=subscription_id,
                object="subscription",
                status="active",
                cancel_at_period_end=request.form.get("cancel_at_period_end") == "true",
            )

        @app.get("/v1/invoice_payments")
        def list_invoice_payments():
            intent = self.invoice_intents.get(request.args.get("invoice", ""))
            paid = [{"object": "invoice_payment", "payment": {"type": "payment_intent", "payment_intent": intent}}]
            return jsonify(object="list", url="/v1/invoice_payments", has_more=False, data=paid if intent else [])

        return app


@pytest.fixture(scope="module")
def fake_server():
    fake = BillingFake()
    fake.reset()
    with ThreadedServer(fake.wsgi_app()) as server:
        yield fake, server.url


@pytest.fixture(autouse=True)
def fake(app, monkeypatch, fake_server):
    """The app on Stripe: new memberships are Stripe subscriptions, calls go to the fake."""
    fake, url = fake_server
    fake.reset()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_billing")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", url)
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    return fake


@pytest.fixture
def plan(ctx, provider):
    venue, service_ = make_bookable_venue(provider, capacity=3)
    connect(venue, gateway="stripe")
    return plans.save_plan(
        venue,
        plans.PlanInput(
            name="Calm club",
            price_minor=PRICE,
            included_service_id=service_.id,
            included_sessions=2,
            discount_percent=10,
        ),
    )


# -- what Stripe sends ------------------------------------------------------------------------------


def feed(data: dict) -> str | None:
    """Store the event as the webhook does and settle it as its job does; None: a duplicate."""
    row = record_event("stripe", to_gateway_event(data))
    return None if row is None else settle(row)


def invoice(
    subscription: str,
    order_id: int | None,
    *,
    reason: str = "subscription_cycle",
    starts_at: datetime | None = None,
    invoice_id: str | None = None,
    payment_intent: str | None = None,
    basil: bool = True,
) -> dict:
    """An invoice of the subscription: basil's shape (``parent.subscription_details``), or the
    older one (``subscription``, ``subscription_details``, ``payment_intent`` on the invoice)."""
    start = int((starts_at or datetime.now(UTC)).timestamp())
    metadata = {"order_id": str(order_id), "kind": "membership"} if order_id is not None else {}
    obj = {
        "id": invoice_id or new_id("in"),
        "object": "invoice",
        "amount_paid": PRICE,
        "currency": "gbp",
        "billing_reason": reason,
        "status": "paid",
        "period_start": start - 30 * 86400,  # looks back one period for a subscription invoice
        "period_end": start,
        "lines": {
            "object": "list",
            "data": [{"id": new_id("il"), "amount": PRICE, "period": {"start": start, "end": start + 30 * 86400}}],
        },
    }
    if basil:
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription, "metadata": metadata},
        }
    else:
        obj.update(
            subscription=subscription, subscription_details={"metadata": metadata}, payment_intent=payment_intent
        )
    return obj


def subscription(subscription_id: str, order_id: int | None, **fields) -> dict:
    metadata = {"order_id": str(order_id), "kind": "membership"} if order_id is not None else {}
    return {"id": subscription_id, "object": "subscription", "status": "active", "metadata": metadata, **fields}


def first_order_id(membership: Membership) -> int:
    return service.first_order_id(membership)


def joined(customer, plan) -> Membership:
    """A Stripe membership whose first month its checkout (subscription mode) paid."""
    membership = service.start_membership(customer, plan)
    assert membership.gateway == "stripe"
    payment = open_stripe_payment(service.last_period(membership).order)
    completed = checkout_event("checkout.session.completed", payment.session_id, order_id=payment.order_id)
    completed["data"]["object"].update(mode="subscription", payment_intent=None, subscription=new_id("sub"))
    assert feed(completed) == "paid: bookings confirmed"
    assert membership.status == MembershipStatus.ACTIVE
    return membership


def periods(membership: Membership) -> int:
    return db.session.scalar(
        select(func.count()).select_from(MembershipPeriod).where(MembershipPeriod.membership_id == membership.id)
    )


# -- the first month's checkout ---------------------------------------------------------------------


def test_the_first_month_is_a_checkout_in_subscription_mode_with_a_monthly_price(customer, plan):
    membership = service.start_membership(customer, plan)
    order = service.last_period(membership).order
    charge = checkout_charge(order)
    assert charge.subscription_name == "Calm club at Calm Rooms"
    gateway = StripeGateway("sk_test_billing")

    params = gateway.checkout_params(charge, success_url="https://cozywish.test/ok", cancel_url="https://x.test/back")

    metadata = {"order_id": str(order.id), "kind": "membership"}
    assert params["mode"] == "subscription"
    assert params["line_items"] == [
        {
            "price_data": {
                "currency": "gbp",
                "unit_amount": PRICE,
                "recurring": {"interval": "month"},
                "product_data": {"name": "Calm club at Calm Rooms"},
            },
            "quantity": 1,
        }
    ]
    assert params["subscription_data"] == {"metadata": metadata}
    assert params["metadata"] == metadata
    assert params["client_reference_id"] == str(order.id)
    assert params["customer_email"] == customer.email
    assert "payment_intent_data" not in params and "setup_future_usage" not in str(params)
    with_customer = gateway.checkout_params(
        charge, success_url="https://cozywish.test/ok", cancel_url="https://x.test/back", customer_id="cus_1"
    )
    assert with_customer["customer"] == "cus_1" and "customer_email" not in with_customer
    assert with_customer["mode"] == "subscription" and "payment_intent_data" not in with_customer


def test_an_order_that_is_not_a_membership_is_still_a_payment_checkout():
    charge = CheckoutCharge(
        order_id=7,
        currency="GBP",
        lines=(LineItem("Massage", 6000),),
        due_now_minor=6000,
        customer_user_id=1,
        customer_email="c@example.test",
        customer_name=None,
        save_card=False,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    params = StripeGateway("sk_test_billing").checkout_params(
        charge, success_url="https://a.test", cancel_url="https://b.test"
    )
    assert params["mode"] == "payment" and params["payment_intent_data"] == {"metadata": {"order_id": "7"}}
    assert "subscription_data" not in params


# -- invoices -----------------------------------------------------------------------------------------


def test_the_first_invoice_links_the_subscription_and_records_no_second_month(customer, plan, fake):
    membership = joined(customer, plan)
    sub = new_id("sub")
    first = invoice(sub, first_order_id(membership), reason="subscription_create")
    fake.invoice_intents[first["id"]] = "pi_first_month"

    assert feed(event("invoice.paid", first)) == "first month: paid by its checkout"

    assert membership.subscription_id == sub
    assert periods(membership) == 1
    payment = db.session.scalar(select(Payment).where(Payment.order_id == first_order_id(membership)))
    assert payment.payment_intent_id == "pi_first_month"  # asked of Stripe: basil's invoice names none
    assert feed(event("invoice.paid", first)) == "first month: paid by its checkout"  # Stripe sent it twice
    assert periods(membership) == 1


def test_a_cycle_invoice_pays_the_next_month_once_per_invoice(customer, plan):
    membership = joined(customer, plan)
    month_end = membership.current_period_end
    sub = new_id("sub")
    renewal = invoice(sub, first_order_id(membership), starts_at=month_end, payment_intent="pi_month_2", basil=False)
    paid = event("invoice.paid", renewal)

    # No subscription_create event seen: the cycle invoice links the subscription itself.
    assert feed(paid) == f"membership {membership.id}: month 2 paid"

    assert membership.subscription_id == sub
    second = service.last_period(membership)
    assert (second.number, second.status, second.invoice_key) == (2, PeriodStatus.PAID, renewal["id"])
    assert second.starts_at == month_end.replace(microsecond=0)  # Stripe's periods are whole seconds
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.current_period_end == second.ends_at == service.add_month(second.starts_at)
    assert second.order.status == OrderStatus.PAID
    [transfer] = transfers_of(second.order)  # the venue is paid for the month
    assert transfer.gross_minor == PRICE
    payment = db.session.scalar(select(Payment).where(Payment.order_id == second.order_id))
    assert payment.payment_intent_id == "pi_month_2"

    after = membership.current_period_end + timedelta(hours=1)
    assert service.renew_one(membership.id, now=after) == "no change: the gateway renews it"  # no Demo charge

    assert feed(paid) is None  # the same event again: stored once, nothing more
    assert feed(event("invoice.paid", renewal)) == "already recorded"  # another event, same invoice
    assert periods(membership) == 2


def test_a_failed_month_is_past_due_then_paused_then_paid_when_stripe_retries(customer, plan):
    membership = joined(customer, plan)
    month_end = membership.current_period_end
    sub = new_id("sub")
    failed = invoice(sub, first_order_id(membership), starts_at=month_end)
    failed["status"], failed["amount_paid"] = "open", 0

    outcome = feed(event("invoice.payment_failed", failed))

    assert membership.status == MembershipStatus.PAST_DUE
    assert outcome == f"membership {membership.id}: past due until {membership.grace_until:%Y-%m-%d}"
    grace = membership.grace_until
    assert grace > datetime.now(UTC) + timedelta(days=6)  # the benefits go on meanwhile
    assert service.benefits_of(customer.id, now=datetime.now(UTC)) == {plan.venue_id: membership}
    assert feed(event("invoice.payment_failed", failed)).startswith(f"membership {membership.id}: past due")
    assert membership.grace_until == grace  # Stripe's retry failing again: the grace is not moved on

    assert service.renew_due(grace + timedelta(minutes=1)) == [f"membership {membership.id}: paused"]
    assert membership.status == MembershipStatus.PAUSED
    retried = feed(event("invoice.payment_failed", failed))  # Stripe's last retry: no new grace
    assert retried == "no change: the membership is paused until a month is paid"
    assert membership.status == MembershipStatus.PAUSED

    paid = {**failed, "status": "paid", "amount_paid": PRICE, "payments": _expanded("pi_retry")}
    assert feed(event("invoice.paid", paid)) == f"membership {membership.id}: month 2 paid"
    assert membership.status == MembershipStatus.ACTIVE and membership.grace_until is None
    assert feed(event("invoice.payment_failed", failed)) == "no change: this invoice is already paid"
    assert membership.status == MembershipStatus.ACTIVE


def _expanded(intent: str) -> dict:
    return {"object": "list", "data": [{"payment": {"type": "payment_intent", "payment_intent": intent}}]}


def test_a_failed_first_invoice_gives_no_benefits(customer, plan):
    membership = service.start_membership(customer, plan)
    first = invoice(new_id("sub"), first_order_id(membership), reason="subscription_create")

    assert feed(event("invoice.payment_failed", first)) == "no change: the first month is paid at its checkout"

    assert membership.status == MembershipStatus.PENDING and membership.grace_until is None


def test_events_about_other_subscriptions_are_ignored(customer, plan):
    service.start_membership(customer, plan)
    assert feed(event("invoice.paid", invoice(new_id("sub"), None))) == "ignored: not one of our memberships"
    assert feed(event("invoice.paid", invoice(new_id("sub"), 999_999))) == "ignored: not one of our memberships"
    assert (
        feed(event("customer.subscription.deleted", subscription(new_id("sub"), None)))
        == "ignored: not one of our memberships"
    )


# -- the subscription ---------------------------------------------------------------------------------


def test_cancelled_in_stripes_portal_then_ended(customer, plan):
    membership = joined(customer, plan)
    sub = new_id("sub")
    order_id = first_order_id(membership)

    assert feed(event("customer.subscription.updated", subscription(sub, order_id))) == "no change"
    assert membership.subscription_id == sub and not membership.cancel_at_period_end
    cancelled = subscription(sub, order_id, cancel_at_period_end=True)
    assert (
        feed(event("customer.subscription.updated", cancelled))
        == f"membership {membership.id}: ends with the month paid"
    )
    assert membership.cancel_at_period_end and membership.status == MembershipStatus.ACTIVE
    assert feed(event("customer.subscription.updated", cancelled)) == "no change"

    ended = subscription(sub, order_id, status="canceled")
    assert feed(event("customer.subscription.deleted", ended)) == f"membership {membership.id}: ended"
    assert membership.status == MembershipStatus.CANCELLED and membership.ended_at is not None
    assert feed(event("customer.subscription.deleted", ended)) == "already ended"
    late = invoice(sub, order_id, starts_at=membership.current_period_end)
    assert feed(event("invoice.paid", late)) == "no change: the membership has ended"


def test_cancelling_tells_stripe_to_end_the_subscription_with_the_month(customer, plan, fake):
    membership = joined(customer, plan)
    membership.subscription_id = "sub_test_cancel"

    cancelling.cancel_at_end(membership, customer, now=datetime.now(UTC))
    cancelling.cancel_subscription_job(membership_id=membership.id)

    assert membership.cancel_at_period_end and membership.status == MembershipStatus.ACTIVE
    (update,) = fake.calls("POST", "/v1/subscriptions/sub_test_cancel")
    assert update.form == [("cancel_at_period_end", "true")]
    assert update.idempotency_key == f"membership-cancel-{membership.id}"


# -- through the webhook ------------------------------------------------------------------------------


def post(client, data: dict, *, secret: str = SECRET):
    payload = body(data)
    return client.post(
        URL, data=payload, headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)}
    )


def test_a_signed_invoice_reaches_the_membership_through_the_webhook(client, customer, plan, fake, run_jobs):
    membership = joined(customer, plan)
    sub = new_id("sub")
    renewal = invoice(sub, first_order_id(membership), starts_at=membership.current_period_end, basil=False)
    renewal["payment_intent"] = fake.payment_intent(amount=PRICE)
    fake.accounts[f"acct_test_{plan.venue_id}"] = {"id": f"acct_test_{plan.venue_id}"}  # the venue's (connect())
    db.session.commit()
    paid = event("invoice.paid", renewal)

    forged = post(client, paid, secret="whsec_someone_else")
    assert forged.status_code == 400
    assert db.session.scalar(select(func.count()).where(PaymentEvent.event_id == paid["id"])) == 0

    assert post(client, paid).status_code == 200
    run_jobs()

    db.session.expire_all()
    membership = db.session.get(Membership, membership.id)
    assert membership.subscription_id == sub
    assert service.last_period(membership).number == 2 and membership.status == MembershipStatus.ACTIVE
    outcome = db.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.event_id == paid["id"]))
    assert outcome == f"membership {membership.id}: month 2 paid"
    [sent] = [
        t for t in fake.transfers.values() if t["metadata"]["order_id"] == str(service.last_period(membership).order_id)
    ]
    assert sent["source_transaction"] == fake.intents[renewal["payment_intent"]]["latest_charge"]  # the venue's share
    assert post(client, paid).status_code == 200  # a duplicate: acknowledged, nothing more
    run_jobs()
    assert periods(membership) == 2
