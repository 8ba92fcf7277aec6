"""The Demo gateway's Connect: payout accounts, transfers and reversals without Stripe.

It plays Stripe's part the way the demo checkout does: an account is made "pending", its
onboarding is an in-app page (``/provider/payouts/demo-onboarding``) that sends a signed
``account.updated`` event through the same webhook path (parse, store once, settle), and a
transfer makes a ``payout.paid`` event as if the account paid it to the bank at once. Ids
come from the idempotency key, so a retried call names the same transfer, as with Stripe.

It answers the port in app/payouts/ports.py and imports no settling code: its events go out
on the Demo gateway's ``webhook`` signal (app/payments/demo_gateway.py), whose receiver
(app/payments/demo_webhook.py) stores and settles them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from flask import url_for
from sqlalchemy import select

from app.payments.demo_gateway import build_event, demo_secret, send_webhook
from app.payouts import ports
from app.payouts.models import ConnectedAccount, TransferReversal, VenueTransfer
from app.platform.extensions import db

ACCOUNT_PREFIX = "demo_acct_"
# What the demo onboarding's "leave the bank details out" choice says Stripe still needs.
DEMO_MISSING = ("external_account", "individual.verification.document")


def _digest(key: str) -> str:
    return hmac.new(demo_secret(), key.encode(), hashlib.sha256).hexdigest()[:24]


def account_object(account_id: str, *, complete: bool, venue_id: int | None = None) -> dict[str, Any]:
    """A Stripe-shaped ``account`` object: enabled when onboarding was completed, restricted
    (with what is missing) when it was left unfinished."""
    return {
        "id": account_id,
        "object": "account",
        "type": "express",
        "details_submitted": True,
        "charges_enabled": complete,
        "payouts_enabled": complete,
        "metadata": {"venue_id": str(venue_id)} if venue_id else {},
        "requirements": {
            "currently_due": [] if complete else list(DEMO_MISSING),
            "past_due": [],
            "disabled_reason": None if complete else "requirements.past_due",
        },
    }


def deliver(event_type: str, obj: dict[str, Any], *, account: str | None = None, event_id: str | None = None):
    """Send the app a demo event through the Demo gateway's webhook, which stores it and
    settles it at once (the job that record_event enqueues then finds it settled); events from
    a connected account name it, as Stripe's do. Returns the stored row or None."""
    return send_webhook(build_event(event_type, obj, event_id=event_id, account=account))


class DemoConnect:
    name = "demo"

    def create_account(self, *, venue_id: int, email: str, country: str, idempotency_key: str) -> ports.AccountState:
        return ports.AccountState(
            account_id=f"{ACCOUNT_PREFIX}{_digest(idempotency_key)}",
            details_submitted=False,
            charges_enabled=False,
            payouts_enabled=False,
        )

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        return url_for("venues_dashboard.payouts_demo_onboarding", nonce=secrets.token_urlsafe(8))

    def retrieve_account(self, account_id: str) -> ports.AccountState:
        """The demo "gateway" lives in this database: the account is what its events said."""
        row = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.account_id == account_id))
        if row is None:
            return ports.AccountState(account_id, False, False, False)
        return ports.account_state(
            {
                "id": account_id,
                "details_submitted": row.details_submitted,
                "charges_enabled": row.charges_enabled,
                "payouts_enabled": row.payouts_enabled,
                "requirements": {"currently_due": row.requirements, "disabled_reason": row.disabled_reason},
            }
        )

    def create_transfer(self, transfer: ports.TransferRequest) -> ports.TransferResult:
        key = _digest(transfer.idempotency_key)
        # The account pays it to the bank at once: a payout.paid event, as Stripe would send.
        deliver(
            "payout.paid",
            {
                "id": f"demo_po_{key}",
                "object": "payout",
                "amount": transfer.amount_minor,
                "currency": transfer.currency.lower(),
                "status": "paid",
                "arrival_date": int(time.time()),
            },
            account=transfer.destination,
            event_id=f"evt_demo_payout_{key}",
        )
        return ports.TransferResult(f"demo_tr_{key}", transfer.amount_minor, transfer.destination)

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str
    ) -> ports.ReversalResult:
        return ports.ReversalResult(f"demo_trr_{_digest(idempotency_key)}", amount_minor)

    def list_transfers(self, transfer_group: str) -> list[ports.RemoteTransfer]:
        rows = db.session.scalars(
            select(VenueTransfer).where(
                VenueTransfer.transfer_group == transfer_group, VenueTransfer.gateway_transfer_id.is_not(None)
            )
        )
        found = []
        for t in rows:
            reversed_minor = sum(
                db.session.scalars(
                    select(TransferReversal.amount_minor).where(
                        TransferReversal.transfer_id == t.id, TransferReversal.gateway_reversal_id.is_not(None)
                    )
                )
            )
            found.append(
                ports.RemoteTransfer(
                    t.gateway_transfer_id or "", t.destination or "", t.sent_minor or 0, reversed_minor
                )
            )
        return found
