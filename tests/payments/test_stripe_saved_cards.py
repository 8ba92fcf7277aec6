"""Stripe's side of deposits against the recorded-contract fake (tests/payments/saved_card_fake.py),
through the real ``stripe`` library over HTTP: the exact parameters that save a card at checkout
(``setup_future_usage`` with a Customer, or ``mode=setup`` when nothing is due now), read it back
from the SetupIntent or PaymentIntent, and charge a fee off-session, once per idempotency key."""

from __future__ import annotations

import pytest

from app.payments.ports import SavedCard
from app.payments.service import checkout_charge
from app.payments.stripe_gateway import StripeGateway
from tests.payments.deposit_helpers import checked_out, venue_paid
from tests.payments.saved_card_fake import SavedCardFake
from tests.payments.stripe_fakes import ThreadedServer


@pytest.fixture(scope="module")
def fake_server():
    """The saved-card fake in place of the Checkout one; tests/conftest.py's ``fake`` empties it."""
    fake = SavedCardFake()
    with ThreadedServer(fake.wsgi_app()) as server:
        yield fake, server.url


@pytest.fixture
def stripe_gateway(fake_server) -> StripeGateway:
    return StripeGateway("sk_test_deposits", api_base=fake_server[1], max_network_retries=0)


def start(gateway, order):
    return gateway.start_checkout(
        checkout_charge(order),
        success_url="https://cozywish.test/ok",
        cancel_url="https://cozywish.test/back",
        idempotency_key=f"order-{order.id}-checkout",
    )


def test_a_deposit_checkout_saves_the_card_for_off_session_use(ctx, provider, customer, fake, stripe_gateway):
    _venue, service = venue_paid(provider, "deposit_percent", percent=20, late_fee=50)
    order = checked_out(customer, service)

    start(stripe_gateway, order)

    (make_customer,) = fake.calls("POST", "/v1/customers")
    assert make_customer.idempotency_key == f"order-{order.id}-checkout-customer"
    assert make_customer.params == {
        "email": customer.email,
        "name": customer.name,
        "metadata": {"user_id": str(customer.id), "order_id": str(order.id)},
    }
    (session,) = fake.calls("POST", "/v1/checkout/sessions")
    params = session.params
    assert params["mode"] == "payment"
    assert params["customer"] == fake.sessions[0]["customer"] and params["customer"].startswith("cus_")
    assert "customer_email" not in params  # Stripe refuses both
    assert params["payment_intent_data"] == {
        "metadata": {"order_id": str(order.id)},
        "setup_future_usage": "off_session",
    }
    [line] = params["line_items"]
    assert (line["price_data"]["unit_amount"], line["quantity"]) == ("1200", "1")  # the deposit only
    assert "(paid now; the rest at the venue)" in line["price_data"]["product_data"]["name"]
    assert session.idempotency_key == f"order-{order.id}-checkout"


def test_nothing_due_now_uses_checkout_in_setup_mode(ctx, provider, customer, fake, stripe_gateway):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None, no_show=100)
    order = checked_out(customer, service)

    start(stripe_gateway, order)

    (session,) = fake.calls("POST", "/v1/checkout/sessions")
    params = session.params
    assert params["mode"] == "setup"
    assert params["currency"] == "gbp"
    assert params["setup_intent_data"] == {"metadata": {"order_id": str(order.id)}}
    assert "line_items" not in params and "payment_intent_data" not in params
    assert params["customer"].startswith("cus_")


def test_a_full_payment_saves_no_card(ctx, provider, customer, fake, stripe_gateway):
    _venue, service = venue_paid(provider, "full", late_fee=50, no_show=100)
    order = checked_out(customer, service)
    start(stripe_gateway, order)
    assert fake.calls("POST", "/v1/customers") == []
    params = fake.calls("POST", "/v1/checkout/sessions")[0].params
    assert "setup_future_usage" not in params["payment_intent_data"]
    assert params["customer_email"] == customer.email


def test_the_saved_card_is_read_from_the_setup_intent_or_the_payment_intent(ctx, fake, stripe_gateway):
    seti = fake.completed_setup("cus_123", "pm_card_chargeDeclined")
    card = stripe_gateway.saved_card(setup_intent_id=seti, payment_intent_id=None)
    assert card == SavedCard(
        customer_id="cus_123", payment_method_id="pm_card_chargeDeclined", brand="visa", last4="0341"
    )
    (read,) = fake.calls("GET", f"/v1/setup_intents/{seti}")
    assert read.query == [("expand[0]", "payment_method")]

    pi = fake.completed_payment("cus_456", "pm_card_visa", 1200)
    card = stripe_gateway.saved_card(setup_intent_id=None, payment_intent_id=pi)
    assert (card.customer_id, card.payment_method_id, card.last4) == ("cus_456", "pm_card_visa", "4242")


def charge(gateway, pm_id, key="fee-7"):
    card = SavedCard(customer_id="cus_123", payment_method_id=pm_id, brand="visa", last4="")
    return gateway.charge_saved_card(
        card, 1800, "GBP", idempotency_key=key, metadata={"order_id": "3", "booking_id": "5", "fee_id": "7"}
    )


def test_a_fee_is_an_off_session_payment_intent_confirmed_at_once(ctx, fake, stripe_gateway):
    result = charge(stripe_gateway, "pm_card_visa")
    assert result.status == "succeeded" and result.payment_intent_id.startswith("pi_")
    (create,) = fake.calls("POST", "/v1/payment_intents")
    assert sorted(create.form) == sorted(
        [
            ("amount", "1800"),
            ("currency", "gbp"),
            ("customer", "cus_123"),
            ("payment_method", "pm_card_visa"),
            ("off_session", "true"),
            ("confirm", "true"),
            ("metadata[order_id]", "3"),
            ("metadata[booking_id]", "5"),
            ("metadata[fee_id]", "7"),
        ]
    )
    assert create.idempotency_key == "fee-7"
    # the job retried: the same key gets the same PaymentIntent back, not a second charge
    again = charge(stripe_gateway, "pm_card_visa")
    assert again.payment_intent_id == result.payment_intent_id
    assert len([i for i in fake.intents.values() if i["payment_method"] == "pm_card_visa"]) == 1


@pytest.mark.parametrize(
    ("pm_id", "problem"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_authenticationRequired", "authentication required"),
    ],
)
def test_a_declined_or_authentication_required_fee_is_an_answer_not_an_error(ctx, fake, stripe_gateway, pm_id, problem):
    result = charge(stripe_gateway, pm_id, key=f"fee-{pm_id}")
    assert result.status == "failed"
    assert problem in result.message
    assert result.payment_intent_id in fake.intents


def test_reconciling_a_missed_setup_checkout_carries_its_setup_intent(ctx):
    from app.payments.models import Payment
    from app.payments.ports import SessionStatus
    from app.payments.reconcile import _synthetic

    status = SessionStatus("complete", "no_payment_required", setup_intent_id="seti_1", customer_id="cus_1")
    event = _synthetic(Payment(session_id="cs_test_1"), "checkout.session.completed", status, order_id=5)
    assert (event.payment_status, event.setup_intent_id, event.customer_id) == (
        "no_payment_required",
        "seti_1",
        "cus_1",
    )
