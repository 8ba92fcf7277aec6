"""Stripe Connect through the official ``stripe`` library: Express accounts, account links,
transfers in the order's transfer group funded by its charge (or, for a gift voucher's part,
by the platform balance: no ``source_transaction``), and transfer reversals.

It shares the payments gateway's client (key, API base, timeouts, retries) and its error
translation, so a refused call is a GatewayError with a sentence a person can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.payments.ports import GatewayError
from app.payments.stripe_events import id_of
from app.payments.stripe_gateway import StripeGateway
from app.payouts.ports import (
    AccountState,
    RemoteTransfer,
    ReversalResult,
    TransferRequest,
    TransferResult,
    account_state,
)


class StripeConnect:
    name = "stripe"

    def __init__(self, payments: StripeGateway):
        self.payments = payments

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeConnect:
        return cls(StripeGateway.from_config(config))

    @property
    def client(self):
        return self.payments.client

    def _call(self, doing: str, call):
        return self.payments._call(doing, call)

    # -- accounts -------------------------------------------------------------------------

    def create_account(self, *, venue_id: int, email: str, country: str, idempotency_key: str) -> AccountState:
        params = {
            "type": "express",
            "country": country,
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "business_profile": {"product_description": "Spa, wellness and beauty appointments booked on CozyWish"},
            "metadata": {"venue_id": str(venue_id)},
        }
        account = self._call(
            "create the payout account",
            lambda: self.client.v1.accounts.create(params=params, options={"idempotency_key": idempotency_key}),  # type: ignore[arg-type]
        )
        return account_state(account.to_dict())

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        params = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        link = self._call("open Stripe's onboarding", lambda: self.client.v1.account_links.create(params=params))  # type: ignore[arg-type]
        return link["url"]

    def retrieve_account(self, account_id: str) -> AccountState:
        account = self._call("look up the payout account", lambda: self.client.v1.accounts.retrieve(account_id))
        return account_state(account.to_dict())

    # -- transfers ------------------------------------------------------------------------

    def charge_of(self, payment_reference: str) -> str:
        """The charge behind a payment: transfers name it as their ``source_transaction``."""
        if payment_reference.startswith("ch_"):
            return payment_reference
        if payment_reference.startswith("cs_"):
            found = self.payments.lookup(payment_reference).payment_intent_id
            if not found:
                raise GatewayError("Stripe has no payment for this checkout session yet; the transfer will be retried.")
            payment_reference = found
        intent = self._call(
            "look up the payment", lambda: self.client.v1.payment_intents.retrieve(payment_reference)
        ).to_dict()
        charge = id_of(intent.get("latest_charge"))
        if not charge:
            raise GatewayError("Stripe has no charge for this payment yet; the transfer will be retried.")
        return charge

    def create_transfer(self, transfer: TransferRequest) -> TransferResult:
        params: dict[str, Any] = {
            "amount": transfer.amount_minor,
            "currency": transfer.currency.lower(),
            "destination": transfer.destination,
            "transfer_group": transfer.transfer_group,
        }
        if transfer.payment_reference is not None:  # none: from the platform balance (a gift voucher's part)
            params["source_transaction"] = self.charge_of(transfer.payment_reference)
        params["metadata"] = transfer.metadata
        sent = self._call(
            "pay the venue",
            lambda: self.client.v1.transfers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": transfer.idempotency_key},
            ),
        )
        return TransferResult(sent["id"], int(sent["amount"]), id_of(sent["destination"]) or transfer.destination)

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str
    ) -> ReversalResult:
        params = {"amount": amount_minor, "metadata": metadata}
        reversal = self._call(
            "take back the venue's part of the refund",
            lambda: self.client.v1.transfers.reversals.create(
                transfer_id,
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
        )
        return ReversalResult(reversal["id"], int(reversal["amount"]))

    def list_transfers(self, transfer_group: str) -> list[RemoteTransfer]:
        def fetch() -> list[dict[str, Any]]:
            page = self.client.v1.transfers.list(params={"transfer_group": transfer_group, "limit": 100})
            return [t.to_dict() for t in page.auto_paging_iter()]

        return [
            RemoteTransfer(
                transfer_id=t["id"],
                destination=id_of(t.get("destination")) or "",
                amount_minor=int(t.get("amount") or 0),
                amount_reversed_minor=int(t.get("amount_reversed") or 0),
                metadata=dict(t.get("metadata") or {}),
            )
            for t in self._call("list the order's transfers", fetch)
        ]
