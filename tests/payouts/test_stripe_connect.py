"""Stripe Connect against the recorded-contract fake (tests/payouts/connect_fake.py), through
the real ``stripe`` library over HTTP: the exact requests for Account.create (express),
AccountLink.create, Transfer.create (transfer group, source transaction, idempotency key) and
transfer reversals; and the signed Connect webhooks (account.updated, transfer.*, payout.*)."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.payments.models import Payment, PaymentEvent
from app.payments.refunds import request_refund
from app.payouts.models import (
    ConnectedAccount,
    Payout,
    ReversalStatus,
    TransferStatus,
)
from app.payouts.ports import AccountStatus, TransferRequest
from app.payouts.reconcile import reconcile_transfers
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payments.stripe_fakes import ThreadedServer, body, checkout_event, event, new_id, open_stripe_payment, sign
from tests.payouts.connect_fake import ConnectFake
from tests.payouts.helpers import connect, reversals_of, transfers_of

SECRET = "whsec_test_platform"
CONNECT_SECRET = "whsec_test_connect"
URL = "/payments/stripe/webhook"


@pytest.fixture(scope="module")
def fake_server():
    fake = ConnectFake()
    with ThreadedServer(fake.wsgi_app()) as server:
        yield fake, server.url


@pytest.fixture(autouse=True)
def fake(app, monkeypatch, fake_server):
    fake, url = fake_server
    fake.reset()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_connect")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", url)
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    return fake


def post(client, data: dict, *, secret: str = CONNECT_SECRET):
    payload = body(data)
    return client.post(
        URL, data=payload, headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)}
    )


def connect_event(kind: str, obj: dict, *, account: str | None = None, **kwargs) -> dict:
    data = event(kind, obj, **kwargs)
    if account:
        data["account"] = account
    return data


# -- the contract: accounts and onboarding ----------------------------------------------------------


def test_connect_creates_an_express_account_and_an_onboarding_link(web, provider, fake):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)

    response = web.post("/provider/payouts/connect")

    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://connect.stripe.test/setup/e/acct_")
    (create,) = fake.calls("POST", "/v1/accounts")
    assert sorted(create.form) == sorted(
        [
            ("type", "express"),
            ("country", "GB"),
            ("email", provider.email),
            ("capabilities[transfers][requested]", "true"),
            ("business_profile[product_description]", "Spa, wellness and beauty appointments booked on CozyWish"),
            ("metadata[venue_id]", str(venue.id)),
        ]
    )
    assert create.idempotency_key == f"venue-{venue.id}-account"
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue.id))
    (link,) = fake.calls("POST", "/v1/account_links")
    assert sorted(link.form) == [
        ("account", account.account_id),
        ("refresh_url", "http://localhost/provider/payouts/refresh"),
        ("return_url", "http://localhost/provider/payouts/return"),
        ("type", "account_onboarding"),
    ]
    assert account.gateway == "stripe" and account.status == AccountStatus.PENDING
    assert account.requirements == ["business_profile.url", "external_account", "tos_acceptance.date"]


def test_the_return_page_asks_stripe_and_shows_what_it_still_needs_then_enabled(web, provider, fake):
    make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)
    web.post("/provider/payouts/connect")
    account_id = next(iter(fake.accounts))

    html = web.get("/provider/payouts/return", follow_redirects=True).get_data(as_text=True)
    assert [r.path for r in fake.calls("GET", "/v1/accounts/")] == [f"/v1/accounts/{account_id}"]
    assert 'data-payout-status="pending"' in html
    assert "A bank account to pay you into" in html and "Your business website" in html

    fake.enable(account_id)
    html = web.get("/provider/payouts/return", follow_redirects=True).get_data(as_text=True)
    assert 'data-payout-status="enabled"' in html and "Stripe still needs" not in html


def test_an_expired_link_gets_a_new_one_for_the_same_account(web, provider, fake):
    make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)
    web.post("/provider/payouts/connect")
    response = web.get("/provider/payouts/refresh")
    assert response.status_code == 303 and response.headers["Location"].startswith("https://connect.stripe.test/")
    assert len(fake.calls("POST", "/v1/accounts")) == 1
    assert len(fake.calls("POST", "/v1/account_links")) == 2


def test_stripe_refusing_the_account_is_a_clear_error_and_changes_nothing(web, provider, fake):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)
    fake.fail_next = (400, {"error": {"type": "invalid_request_error", "message": "Connect is not enabled."}})
    response = web.post("/provider/payouts/connect")
    assert response.status_code == 502
    assert "Connect is not enabled." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(ConnectedAccount.venue_id == venue.id)) == 0


# -- the contract: transfers and reversals -----------------------------------------------------------


@pytest.fixture
def paid_on_stripe(ctx, client, customer, provider, fake, run_jobs, app, monkeypatch):
    """A Stripe-paid order at an enabled venue; its transfer job has run."""
    venue, service = make_bookable_venue(provider)
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", True)  # book before connecting below
    booking = book(customer, service, future_slot(), confirm=False)
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    payment = open_stripe_payment(booking.order)
    connect(venue, gateway="stripe", account_id=_stripe_account(fake, venue))
    db.session.commit()
    intent = fake.payment_intent("ch_test_charge_1")
    data = checkout_event(
        "checkout.session.completed", payment.session_id, order_id=booking.order_id, payment_intent=intent
    )
    assert post(client, data, secret=SECRET).status_code == 200
    run_jobs()
    return booking, payment, venue


def _stripe_account(fake, venue) -> str:
    from app.payouts.stripe_connect import StripeConnect

    gateway = StripeConnect.from_config(current_app.config)
    state = gateway.create_account(
        venue_id=venue.id, email="x@example.com", country="GB", idempotency_key=f"t-{venue.id}"
    )
    fake.enable(state.account_id)
    return state.account_id


def test_a_paid_order_transfers_the_venue_share_funded_by_its_charge(paid_on_stripe, fake):
    booking, payment, venue = paid_on_stripe
    (transfer,) = transfers_of(booking.order)
    (intent_lookup,) = fake.calls("GET", "/v1/payment_intents/")
    assert intent_lookup.path.endswith(db.session.get(Payment, payment.id).payment_intent_id)
    (create,) = fake.calls("POST", "/v1/transfers")
    assert sorted(create.form) == sorted(
        [
            ("amount", "5100"),
            ("currency", "gbp"),
            ("destination", transfer.destination),
            ("transfer_group", f"order-{booking.order_id}"),
            ("source_transaction", "ch_test_charge_1"),
            ("metadata[order_id]", str(booking.order_id)),
            ("metadata[venue_id]", str(venue.id)),
            ("metadata[venue_transfer_id]", str(transfer.id)),
        ]
    )
    assert create.idempotency_key == f"transfer-{transfer.id}"
    assert transfer.status == TransferStatus.PAID and transfer.gateway_transfer_id.startswith("tr_")


def test_a_refund_reverses_the_venue_part_of_its_transfer(paid_on_stripe, fake, run_jobs):
    booking, payment, _ = paid_on_stripe
    request_refund(db.session.get(Payment, payment.id), 1500, reason="late", booking_id=booking.id)
    db.session.commit()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    (reversal,) = reversals_of(transfer)
    (create,) = fake.calls("POST", "/v1/transfers/")
    assert create.path == f"/v1/transfers/{transfer.gateway_transfer_id}/reversals"
    assert sorted(create.form) == [
        ("amount", "1275"),  # 5100 x 1500 / 6000
        ("metadata[refund_id]", str(reversal.refund_id)),
        ("metadata[transfer_reversal_id]", str(reversal.id)),
    ]
    assert create.idempotency_key == f"reversal-{reversal.id}"
    assert reversal.status == ReversalStatus.SUCCEEDED and reversal.gateway_reversal_id.startswith("trr_")
    assert fake.transfers[transfer.gateway_transfer_id]["amount_reversed"] == 1275


def test_a_refused_transfer_is_resent_by_reconcile_with_the_same_key(
    ctx, client, customer, provider, fake, run_jobs, app, monkeypatch
):
    venue, service = make_bookable_venue(provider)
    connect(venue, gateway="stripe", account_id=_stripe_account(fake, venue))
    booking = book(customer, service, future_slot(), confirm=False)
    payment = open_stripe_payment(booking.order)
    fake.fail_next = None
    intent = fake.payment_intent("ch_test_charge_2")
    data = checkout_event(
        "checkout.session.completed", payment.session_id, order_id=booking.order_id, payment_intent=intent
    )
    post(client, data, secret=SECRET)
    fake.requests.clear()
    # Stripe can't find the payment yet: the transfer job fails, and reconcile sends it again.
    original = fake.intents[intent]
    fake.intents.clear()
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.FAILED and "No such payment_intent" in transfer.problem

    fake.intents[intent] = original
    summary = reconcile_transfers()
    db.session.commit()
    run_jobs()
    assert summary.retried == 1
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID
    assert [c.idempotency_key for c in fake.calls("POST", "/v1/transfers")] == [f"transfer-{transfer.id}"]


def test_reconcile_records_a_transfer_whose_answer_never_came(paid_on_stripe, fake):
    booking, _, _ = paid_on_stripe
    (transfer,) = transfers_of(booking.order)
    remote_id = transfer.gateway_transfer_id
    transfer.gateway_transfer_id = None
    transfer.status = TransferStatus.PENDING
    db.session.commit()
    summary = reconcile_transfers()
    assert summary.recovered == 1 and summary.checked_groups == 1
    (transfer,) = transfers_of(booking.order)
    assert transfer.gateway_transfer_id == remote_id and transfer.status == TransferStatus.PAID
    (listed,) = fake.calls("GET", "/v1/transfers")
    assert ("transfer_group", f"order-{booking.order_id}") in listed.query


# -- gift vouchers: the balance leg goes without a source_transaction ---------------------------------


def _voucher_order(customer, provider, fake, *, voucher_minor: int, app, monkeypatch):
    """An order at an enabled Stripe venue, a gift voucher (bought on the Demo gateway) paying
    ``voucher_minor`` of its £60."""
    from tests.vouchers.helpers import bought_voucher, checkout_with

    venue, service = make_bookable_venue(provider)
    connect(venue, gateway="stripe", account_id=_stripe_account(fake, venue))
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)  # the voucher is bought on the Demo gateway
    voucher = bought_voucher(customer, voucher_minor)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_connect")
    order = checkout_with(customer, service, future_slot(), voucher.code)
    db.session.commit()
    return order, venue


def test_a_partly_voucher_paid_order_funds_only_the_card_part_from_the_charge(
    ctx, client, customer, provider, fake, run_jobs, app, monkeypatch
):
    order, venue = _voucher_order(customer, provider, fake, voucher_minor=2000, app=app, monkeypatch=monkeypatch)
    payment = open_stripe_payment(order)
    payment.amount_minor = 4000  # what the checkout charges: £60 less the voucher's £20
    db.session.commit()
    intent = fake.payment_intent("ch_test_charge_v", amount=4000)
    data = checkout_event("checkout.session.completed", payment.session_id, order_id=order.id, payment_intent=intent)
    assert post(client, data, secret=SECRET).status_code == 200
    run_jobs()
    run_jobs()

    charge_leg, balance_leg = transfers_of(order)
    assert (charge_leg.funding, balance_leg.funding) == ("charge", "balance")
    by_key = {c.idempotency_key: c for c in fake.calls("POST", "/v1/transfers")}
    assert set(by_key) == {f"transfer-{charge_leg.id}", f"transfer-{balance_leg.id}"}
    assert sorted(by_key[f"transfer-{charge_leg.id}"].form) == sorted(
        [
            ("amount", "3400"),
            ("currency", "gbp"),
            ("destination", charge_leg.destination),
            ("transfer_group", f"order-{order.id}"),
            ("source_transaction", "ch_test_charge_v"),
            ("metadata[order_id]", str(order.id)),
            ("metadata[venue_id]", str(venue.id)),
            ("metadata[venue_transfer_id]", str(charge_leg.id)),
        ]
    )
    assert sorted(by_key[f"transfer-{balance_leg.id}"].form) == sorted(
        [
            ("amount", "1700"),  # no source_transaction: the platform balance (the voucher money) pays
            ("currency", "gbp"),
            ("destination", balance_leg.destination),
            ("transfer_group", f"order-{order.id}"),
            ("metadata[order_id]", str(order.id)),
            ("metadata[venue_id]", str(venue.id)),
            ("metadata[venue_transfer_id]", str(balance_leg.id)),
        ]
    )
    assert fake.transferred_from("ch_test_charge_v") == 3400 <= 4000
    assert charge_leg.status == balance_leg.status == TransferStatus.PAID


def test_a_fully_voucher_paid_order_is_one_balance_transfer_through_the_venues_gateway(
    ctx, customer, provider, fake, run_jobs, app, monkeypatch
):
    order, _venue = _voucher_order(customer, provider, fake, voucher_minor=10_000, app=app, monkeypatch=monkeypatch)
    run_jobs()
    run_jobs()
    (leg,) = transfers_of(order)
    assert (leg.funding, leg.gateway, leg.payment_id) == ("balance", "stripe", None)
    (create,) = fake.calls("POST", "/v1/transfers")
    assert create.idempotency_key == f"transfer-{leg.id}"
    assert "source_transaction" not in create.params
    assert create.params["amount"] == "5100" and create.params["transfer_group"] == f"order-{order.id}"
    assert fake.calls("GET", "/v1/payment_intents/") == []  # no charge to look up


def test_the_fake_refuses_charge_funded_transfers_beyond_their_charge(ctx, fake, provider):
    from app.payments.ports import GatewayError
    from app.payouts.stripe_connect import StripeConnect

    venue, _ = make_bookable_venue(provider)
    account_id = _stripe_account(fake, venue)
    gateway = StripeConnect.from_config(current_app.config)
    fake.payment_intent("ch_test_small", amount=4000)

    def send(amount: int, key: str, reference: str | None = "ch_test_small"):
        return gateway.create_transfer(
            TransferRequest(
                amount_minor=amount,
                currency="GBP",
                destination=account_id,
                transfer_group="order-0",
                payment_reference=reference,
                metadata={},
                idempotency_key=key,
            )
        )

    assert send(3000, "k1").amount_minor == 3000
    with pytest.raises(GatewayError):
        send(1001, "k2")  # 4001 from a 4000 charge: refused, as Stripe does
    assert send(1000, "k3").amount_minor == 1000
    assert send(5000, "k4", reference=None).amount_minor == 5000  # the platform balance: no such limit
    assert fake.transferred_from("ch_test_small") == 4000


# -- Connect webhooks -------------------------------------------------------------------------------


def test_account_updated_enables_the_account_and_sends_waiting_transfers(
    ctx, client, customer, provider, fake, run_jobs, app, monkeypatch
):
    venue, service = make_bookable_venue(provider)
    account_id = _stripe_account(fake, venue)
    connect(venue, gateway="stripe", account_id=account_id, status=AccountStatus.RESTRICTED)
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", True)
    booking = book(customer, service, future_slot(), confirm=False)
    payment = open_stripe_payment(booking.order)
    intent = fake.payment_intent("ch_test_charge_3")
    post(
        client,
        checkout_event(
            "checkout.session.completed", payment.session_id, order_id=booking.order_id, payment_intent=intent
        ),
        secret=SECRET,
    )
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.WAITING

    data = connect_event("account.updated", fake.accounts[account_id], account=account_id)
    response = post(client, data)
    assert response.status_code == 200
    run_jobs()
    db.session.expire_all()
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.account_id == account_id))
    assert account.status == AccountStatus.ENABLED
    (transfer,) = transfers_of(booking.order)
    assert transfer.status == TransferStatus.PAID
    assert db.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.event_id == data["id"])).endswith(
        "1 waiting transfer(s) sent"
    )


def test_account_updated_with_requirements_restricts_the_account(ctx, client, provider, fake, run_jobs):
    venue, _ = make_bookable_venue(provider)
    account_id = _stripe_account(fake, venue)
    connect(venue, gateway="stripe", account_id=account_id)
    db.session.commit()
    obj = dict(fake.accounts[account_id])
    obj.update(charges_enabled=False, payouts_enabled=False)
    obj["requirements"] = {
        "currently_due": ["individual.verification.document"],
        "past_due": [],
        "disabled_reason": "requirements.past_due",
    }
    post(client, connect_event("account.updated", obj, account=account_id))
    run_jobs()
    db.session.expire_all()
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.account_id == account_id))
    assert account.status == AccountStatus.RESTRICTED
    assert account.requirements == ["individual.verification.document"]


def test_a_connect_event_with_a_bad_signature_is_refused_and_changes_nothing(ctx, client, provider, fake):
    venue, _ = make_bookable_venue(provider)
    account_id = _stripe_account(fake, venue)
    connect(venue, gateway="stripe", account_id=account_id, status=AccountStatus.RESTRICTED)
    db.session.commit()
    response = post(
        client, connect_event("account.updated", fake.accounts[account_id], account=account_id), secret="whsec_wrong"
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
    db.session.expire_all()
    assert (
        db.session.scalar(select(ConnectedAccount.status).where(ConnectedAccount.account_id == account_id))
        == "restricted"
    )


def test_an_event_about_an_unknown_account_is_acknowledged_and_ignored(ctx, client, fake, run_jobs):
    data = connect_event("account.updated", {"id": "acct_unknown", "object": "account"}, account="acct_unknown")
    assert post(client, data).status_code == 200
    run_jobs()
    assert db.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.event_id == data["id"])) == (
        "ignored: not one of our venues' accounts"
    )


def test_transfer_created_records_a_transfer_we_missed_and_reversed_confirms_reversals(
    paid_on_stripe, client, fake, run_jobs
):
    booking, _, _ = paid_on_stripe
    (transfer,) = transfers_of(booking.order)
    remote = fake.transfers[transfer.gateway_transfer_id]
    transfer.gateway_transfer_id = None
    transfer.status = TransferStatus.FAILED
    db.session.commit()
    assert post(client, event("transfer.created", remote)).status_code == 200
    run_jobs()
    (transfer,) = transfers_of(booking.order)
    assert transfer.gateway_transfer_id == remote["id"] and transfer.status == TransferStatus.PAID

    # A reversal whose answer was lost: transfer.reversed confirms it by its metadata.
    from app.payouts.models import TransferReversal

    refund_payment = db.session.scalar(select(Payment).where(Payment.order_id == booking.order_id))
    from app.payments.models import Refund

    refund = Refund(payment_id=refund_payment.id, amount_minor=600, currency="GBP", status="succeeded")
    db.session.add(refund)
    db.session.flush()
    reversal = TransferReversal(
        transfer_id=transfer.id, refund_id=refund.id, refund_minor=600, amount_minor=510, status="pending"
    )
    db.session.add(reversal)
    db.session.commit()
    remote = dict(remote)
    remote["amount_reversed"] = 510
    remote["reversals"] = {
        "object": "list",
        "data": [{"id": "trr_test_lost", "amount": 510, "metadata": {"transfer_reversal_id": str(reversal.id)}}],
    }
    post(client, event("transfer.reversed", remote))
    run_jobs()
    db.session.expire_all()
    reversal = db.session.get(TransferReversal, reversal.id)
    assert reversal.status == ReversalStatus.SUCCEEDED and reversal.gateway_reversal_id == "trr_test_lost"


def test_payout_events_keep_the_venue_bank_payouts(ctx, client, provider, fake, run_jobs):
    venue, _ = make_bookable_venue(provider)
    account_id = _stripe_account(fake, venue)
    connect(venue, gateway="stripe", account_id=account_id)
    db.session.commit()
    payout = {
        "id": new_id("po"),
        "object": "payout",
        "amount": 5100,
        "currency": "gbp",
        "status": "in_transit",
        "arrival_date": 1_800_000_000,
    }
    first = connect_event("payout.created", payout, account=account_id)
    post(client, first)
    post(client, first)  # a duplicate delivery is stored once
    post(client, connect_event("payout.paid", {**payout, "status": "paid"}, account=account_id))
    post(client, connect_event("payout.updated", {**payout, "status": "in_transit"}, account=account_id))  # late
    run_jobs()
    rows = db.session.scalars(select(Payout).where(Payout.venue_id == venue.id)).all()
    assert [(p.amount_minor, p.currency, p.status) for p in rows] == [(5100, "GBP", "paid")]
    assert db.session.scalar(select(func.count()).where(PaymentEvent.event_id == first["id"])) == 1
