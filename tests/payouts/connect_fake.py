"""A recorded-contract fake of Stripe Connect, on loopback, driven by the real ``stripe`` library.

localstripe has no Connect. This fake is a small Flask app served over real HTTP (see
``ThreadedServer``) at ``STRIPE_API_BASE``. It records every request (method, path, the exact
form pairs the library sent, the Idempotency-Key and Stripe-Account headers) and answers
with JSON shaped like Stripe's own responses for the endpoints we call, recorded from
Stripe's API reference (2025 API versions): accounts, account links, payment intents,
transfers, transfer reversals (and refunds, which start a reversal). Tests assert the
requests against the contract: method, path and the exact parameters.

An idempotency key that was seen before answers the first response again, as Stripe does.
Transfers naming a charge (``source_transaction``) may add up to at most that charge, as
Stripe requires; a transfer without one is paid from the platform balance.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request

from tests.payments.stripe_fakes import unflatten


@dataclass
class Recorded:
    method: str
    path: str
    form: list[tuple[str, str]]
    query: list[tuple[str, str]]
    idempotency_key: str | None

    @property
    def params(self) -> dict[str, Any]:
        return unflatten(self.form)


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass
class ConnectFake:
    requests: list[Recorded] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, int] = field(default_factory=dict)  # charge id -> amount
    answered: dict[str, Any] = field(default_factory=dict)  # idempotency key -> response body
    fail_next: tuple[int, dict[str, Any]] | None = None

    def reset(self) -> None:
        self.requests.clear()
        self.accounts.clear()
        self.transfers.clear()
        self.intents.clear()
        self.charges.clear()
        self.answered.clear()
        self.fail_next = None

    def calls(self, method: str, path_start: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]

    # what tests do "on Stripe's side"
    def payment_intent(self, charge_id: str | None = None, amount: int = 6000) -> str:
        intent_id = _id("pi")
        charge_id = charge_id or _id("ch")
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": "gbp",
            "status": "succeeded",
            "latest_charge": charge_id,
        }
        self.charges[charge_id] = amount
        return intent_id

    def transferred_from(self, charge_id: str) -> int:
        """What the transfers naming ``charge_id`` as their source_transaction add up to."""
        return sum(t["amount"] for t in self.transfers.values() if t["source_transaction"] == charge_id)

    def enable(self, account_id: str) -> dict[str, Any]:
        account = self.accounts[account_id]
        account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True)
        account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
        return account

    def wsgi_app(self) -> Flask:
        app = Flask("connect_fake")

        def error(status: int, message: str, param: str | None = None):
            body: dict[str, Any] = {"type": "invalid_request_error", "message": message}
            if param:
                body["param"] = param
            return jsonify(error=body), status

        @app.before_request
        def record():
            self.requests.append(
                Recorded(
                    request.method,
                    request.path,
                    list(request.form.items(multi=True)),
                    list(request.args.items(multi=True)),
                    request.headers.get("Idempotency-Key"),
                )
            )
            if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
                return error(401, "Invalid API Key provided.")
            if self.fail_next is not None:
                status, body = self.fail_next
                self.fail_next = None
                return jsonify(body), status
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key and key in self.answered:
                return jsonify(self.answered[key])
            return None

        def remember(body: dict[str, Any]):
            key = request.headers.get("Idempotency-Key")
            if key:
                self.answered[key] = body
            return jsonify(body)

        @app.post("/v1/accounts")
        def create_account():
            params = unflatten(list(request.form.items(multi=True)))
            if params.get("type") != "express":
                return error(400, "Only Express accounts here.", "type")
            account_id = _id("acct")
            account = {
                "id": account_id,
                "object": "account",
                "type": "express",
                "country": params.get("country"),
                "email": params.get("email"),
                "default_currency": "gbp",
                "details_submitted": False,
                "charges_enabled": False,
                "payouts_enabled": False,
                "capabilities": {"transfers": "inactive"},
                "metadata": params.get("metadata", {}),
                "requirements": {
                    "currently_due": ["business_profile.url", "external_account", "tos_acceptance.date"],
                    "eventually_due": ["business_profile.url", "external_account", "tos_acceptance.date"],
                    "past_due": [],
                    "pending_verification": [],
                    "disabled_reason": "requirements.past_due",
                    "current_deadline": None,
                    "errors": [],
                },
                "created": int(time.time()),
            }
            self.accounts[account_id] = account
            return remember(account)

        @app.get("/v1/accounts/<account_id>")
        def retrieve_account(account_id: str):
            if account_id not in self.accounts:
                return error(404, f"No such account: '{account_id}'", "account")
            return jsonify(self.accounts[account_id])

        @app.post("/v1/account_links")
        def create_account_link():
            form = dict(request.form.items())
            if form.get("account") not in self.accounts:
                return error(400, f"No such account: '{form.get('account')}'", "account")
            return jsonify(
                object="account_link",
                created=int(time.time()),
                expires_at=int(time.time()) + 300,
                url=f"https://connect.stripe.test/setup/e/{form['account']}/{secrets.token_urlsafe(12)}",
            )

        @app.get("/v1/payment_intents/<intent_id>")
        def retrieve_intent(intent_id: str):
            if intent_id not in self.intents:
                return error(404, f"No such payment_intent: '{intent_id}'", "intent")
            return jsonify(self.intents[intent_id])

        @app.post("/v1/transfers")
        def create_transfer():
            params = unflatten(list(request.form.items(multi=True)))
            destination = params.get("destination")
            if destination not in self.accounts:
                return error(400, f"No such destination: '{destination}'", "destination")
            # Stripe's rule for separate charges and transfers: transfers funded by a charge
            # (source_transaction) add up to at most that charge; more is refused (the
            # wording is the fake's). Without source_transaction the platform balance pays.
            source = params.get("source_transaction")
            if source is not None:
                if source not in self.charges:
                    return error(400, f"No such charge: '{source}'", "source_transaction")
                if self.transferred_from(source) + int(params["amount"]) > self.charges[source]:
                    return error(
                        400,
                        "The transfer amount exceeds what is left of the source transaction's charge.",
                        "amount",
                    )
            transfer_id = _id("tr")
            transfer = {
                "id": transfer_id,
                "object": "transfer",
                "amount": int(params["amount"]),
                "amount_reversed": 0,
                "currency": params["currency"],
                "destination": destination,
                "destination_payment": _id("py"),
                "livemode": False,
                "metadata": params.get("metadata", {}),
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/transfers/{transfer_id}/reversals",
                },
                "reversed": False,
                "source_transaction": source,
                "source_type": "card",
                "transfer_group": params.get("transfer_group"),
                "created": int(time.time()),
            }
            self.transfers[transfer_id] = transfer
            return remember(transfer)

        @app.post("/v1/transfers/<transfer_id>/reversals")
        def create_reversal(transfer_id: str):
            transfer = self.transfers.get(transfer_id)
            if transfer is None:
                return error(404, f"No such transfer: '{transfer_id}'", "id")
            params = unflatten(list(request.form.items(multi=True)))
            amount = int(params.get("amount", transfer["amount"] - transfer["amount_reversed"]))
            if amount > transfer["amount"] - transfer["amount_reversed"]:
                return error(400, "Reversal amount exceeds the transfer's remaining amount.", "amount")
            reversal = {
                "id": _id("trr"),
                "object": "transfer_reversal",
                "amount": amount,
                "currency": transfer["currency"],
                "metadata": params.get("metadata", {}),
                "transfer": transfer_id,
                "created": int(time.time()),
            }
            transfer["amount_reversed"] += amount
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            transfer["reversals"]["data"].insert(0, reversal)
            return remember(reversal)

        @app.post("/v1/refunds")
        def create_refund():
            params = unflatten(list(request.form.items(multi=True)))
            return remember(
                {
                    "id": _id("re"),
                    "object": "refund",
                    "amount": int(params["amount"]),
                    "currency": "gbp",
                    "payment_intent": params.get("payment_intent"),
                    "status": "succeeded",
                    "created": int(time.time()),
                }
            )

        @app.get("/v1/transfers")
        def list_transfers():
            group = request.args.get("transfer_group")
            found = [t for t in self.transfers.values() if group is None or t["transfer_group"] == group]
            return jsonify(object="list", url="/v1/transfers", has_more=False, data=found)

        return app
