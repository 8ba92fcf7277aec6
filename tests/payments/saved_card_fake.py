"""A recorded-contract fake of the Stripe endpoints that save a card and charge it later.

localstripe lacks parts of SetupIntents and off-session confirmation, so, like
tests/payouts/connect_fake.py (which this extends), this is a small Flask app served over real
HTTP at ``STRIPE_API_BASE`` and driven by the real ``stripe`` library. It records every request
(method, path, the exact form pairs, the Idempotency-Key) and answers with JSON shaped like
Stripe's API reference (2025 versions) for: Customers (create), Checkout Sessions (create, in
``payment`` mode with ``setup_future_usage`` or in ``setup`` mode), SetupIntents and
PaymentIntents (retrieve, expanding ``payment_method``), and PaymentIntents (create,
``off_session`` + ``confirm``). Its test payment methods behave as Stripe's test cards do
off-session: ``pm_card_visa`` pays, ``pm_card_chargeDeclined`` (4000 0000 0000 0341) is declined
(HTTP 402, ``card_declined``), ``pm_card_authenticationRequired`` (4000 0027 6000 3184) needs the
customer (HTTP 402, ``authentication_required``, the PaymentIntent in ``requires_payment_method``).
An idempotency key seen before answers the first response again, as Stripe does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request

from tests.payments.stripe_fakes import unflatten
from tests.payouts.connect_fake import ConnectFake, _id

CARDS = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_chargeDeclined": ("visa", "0341", ("card_declined", "Your card was declined.")),
    "pm_card_authenticationRequired": (
        "visa",
        "3184",
        ("authentication_required", "Your card was declined. This transaction requires authentication."),
    ),
}


def payment_method(pm_id: str) -> dict[str, Any]:
    brand, last4, _ = CARDS[pm_id]
    return {"id": pm_id, "object": "payment_method", "type": "card", "card": {"brand": brand, "last4": last4}}


@dataclass
class SavedCardFake(ConnectFake):
    setup_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        super().reset()
        self.setup_intents.clear()
        self.sessions.clear()

    # what tests do "on Stripe's side": the customer completed the checkout with a card
    def completed_setup(self, customer: str, pm_id: str) -> str:
        intent_id = _id("seti")
        self.setup_intents[intent_id] = {
            "id": intent_id,
            "object": "setup_intent",
            "customer": customer,
            "payment_method": pm_id,
            "status": "succeeded",
            "usage": "off_session",
        }
        return intent_id

    def completed_payment(self, customer: str, pm_id: str, amount: int) -> str:
        intent_id = _id("pi")
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": "gbp",
            "customer": customer,
            "payment_method": pm_id,
            "setup_future_usage": "off_session",
            "status": "succeeded",
            "latest_charge": _id("ch"),
        }
        return intent_id

    def wsgi_app(self) -> Flask:
        app = super().wsgi_app()

        def expanded(obj: dict[str, Any]) -> dict[str, Any]:
            out = dict(obj)
            if "payment_method" in request.args.getlist("expand[]") + request.args.getlist("expand[0]"):
                out["payment_method"] = payment_method(obj["payment_method"])
            return out

        def remember(body: dict[str, Any], status: int = 200):
            key = request.headers.get("Idempotency-Key")
            if key:
                self.answered[key] = body
            return jsonify(body), status

        @app.post("/v1/customers")
        def create_customer():
            params = unflatten(list(request.form.items(multi=True)))
            return remember({"id": _id("cus"), "object": "customer", "email": params.get("email"), **params})

        @app.post("/v1/checkout/sessions")
        def create_session():
            params = unflatten(list(request.form.items(multi=True)))
            session = {
                "id": _id("cs_test"),
                "object": "checkout.session",
                "mode": params.get("mode"),
                "customer": params.get("customer"),
                "url": "https://checkout.stripe.test/c/pay/session",
                "expires_at": int(params.get("expires_at") or time.time() + 1800),
                "status": "open",
                "payment_status": "unpaid",
            }
            self.sessions.append(session)
            return remember(session)

        @app.get("/v1/setup_intents/<intent_id>")
        def retrieve_setup_intent(intent_id: str):
            if intent_id not in self.setup_intents:
                return jsonify(error={"type": "invalid_request_error", "message": "No such setupintent"}), 404
            return jsonify(expanded(self.setup_intents[intent_id]))

        # replaces ConnectFake's retrieve, to expand the payment method
        app.view_functions["retrieve_intent"] = lambda intent_id: (
            jsonify(expanded(self.intents[intent_id]))
            if intent_id in self.intents
            else (jsonify(error={"type": "invalid_request_error", "message": "No such payment_intent"}), 404)
        )

        @app.post("/v1/payment_intents")
        def create_intent():
            params = unflatten(list(request.form.items(multi=True)))
            pm_id = params.get("payment_method")
            if pm_id not in CARDS:
                return jsonify(error={"type": "invalid_request_error", "message": "No such PaymentMethod"}), 400
            intent = {
                "id": _id("pi"),
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "currency": params["currency"],
                "customer": params.get("customer"),
                "payment_method": pm_id,
                "metadata": params.get("metadata", {}),
                "status": "succeeded",
            }
            problem = CARDS[pm_id][2]
            if problem is None:
                self.intents[intent["id"]] = intent
                return remember(intent)
            code, message = problem
            intent["status"] = "requires_payment_method"
            self.intents[intent["id"]] = intent
            error = {
                "type": "card_error",
                "code": code,
                "message": message,
                "decline_code": "generic_decline" if code == "card_declined" else None,
                "payment_intent": intent,
            }
            return remember({"error": error}, 402)

        return app
