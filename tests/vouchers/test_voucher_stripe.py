"""A gift voucher bought through Stripe Checkout: Stripe's retries of the paid webhook (the
same event again, and the async success after it) issue one voucher and one email; the
session's lines charge exactly what is due now, for a purchase and for a voucher-paid order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.booking.amounts import amount_due
from app.payments.service import checkout_charge
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db
from app.vouchers import ledger
from app.vouchers.models import Voucher, VoucherEntry
from app.vouchers.purchase import start_purchase
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payments.stripe_fakes import checkout_event, new_id, open_stripe_payment
from tests.payments.test_webhooks import SECRET, post, stripe_configured  # noqa: F401  (a fixture)
from tests.vouchers.helpers import bought_voucher, checkout_with, wish


@pytest.fixture
def purchase(ctx, customer, stripe_configured):  # noqa: F811
    purchase = start_purchase(customer, wish(5000))
    payment = open_stripe_payment(purchase.order)
    return purchase, payment


def test_webhook_retries_issue_one_voucher_and_one_email(client, purchase, run_jobs, outbox):
    purchase, payment = purchase
    intent = new_id("pi")
    completed = checkout_event(
        "checkout.session.completed", payment.session_id, order_id=purchase.order_id, payment_intent=intent
    )
    succeeded = checkout_event(
        "checkout.session.async_payment_succeeded",
        payment.session_id,
        order_id=purchase.order_id,
        payment_intent=intent,
    )

    for data in (completed, completed, succeeded):  # Stripe retries, then a second success event
        assert post(client, data).status_code == 200
        run_jobs()
    assert post(client, completed).status_code == 200  # a retry after settling
    run_jobs()

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 1
    assert db.session.scalar(select(func.count()).select_from(VoucherEntry)) == 1
    voucher = db.session.scalar(select(Voucher))
    assert ledger.balance(voucher) == 5000
    assert len([m for m in outbox if m.to == ["rosa@example.com"]]) == 1


def test_the_stripe_session_charges_the_voucher_purchase(ctx, customer):
    purchase = start_purchase(customer, wish(7500))
    params = StripeGateway("sk_test").checkout_params(
        checkout_charge(purchase.order), success_url="https://x/s", cancel_url="https://x/c"
    )
    [line] = params["line_items"]
    assert line["price_data"]["unit_amount"] == 7500 and line["quantity"] == 1
    assert line["price_data"]["product_data"]["name"] == "CozyWish gift voucher"


def test_the_stripe_session_charges_only_what_the_voucher_left(ctx, customer, provider):
    _venue, service = make_bookable_venue(provider)
    voucher = bought_voucher(customer, 2500)
    order = checkout_with(customer, service, future_slot(), voucher.code)
    params = StripeGateway("sk_test").checkout_params(
        checkout_charge(order), success_url="https://x/s", cancel_url="https://x/c"
    )
    charged = sum(li["price_data"]["unit_amount"] * li["quantity"] for li in params["line_items"])
    assert charged == amount_due(order).due_now_minor == 3500
    assert "after your gift voucher" in params["line_items"][0]["price_data"]["product_data"]["name"]
