"""The Connect port: payout accounts, transfers and their reversals, in plain values.

Stripe (app/payouts/stripe_connect.py) and the Demo gateway (app/payouts/demo_connect.py)
both answer it; app/payouts/gateway.py picks one by name. A transfer always goes through the
gateway that took the payment (``Payment.gateway``), to an account made at that same gateway.
This module imports no domain model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol


class AccountStatus(enum.StrEnum):
    NOT_CONNECTED = "not_connected"  # no row
    PENDING = "pending"  # onboarding not finished, or Stripe is checking
    ENABLED = "enabled"  # can receive transfers
    RESTRICTED = "restricted"  # Stripe needs more before transfers (or payouts) may continue


@dataclass(frozen=True)
class AccountState:
    """What the gateway says about a connected account."""

    account_id: str
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool
    requirements: tuple[str, ...] = ()
    disabled_reason: str | None = None

    @property
    def status(self) -> str:
        """enabled: can receive transfers and pay them out; pending: onboarding not finished
        (or under review) and nothing is owed yet; restricted: something must be done."""
        if self.charges_enabled and self.payouts_enabled and not self.disabled_reason:
            return AccountStatus.ENABLED
        if not self.details_submitted or (self.disabled_reason or "").endswith("pending_verification"):
            return AccountStatus.PENDING
        return AccountStatus.RESTRICTED


def account_state(obj: dict[str, Any]) -> AccountState:
    """A Stripe ``account`` object (from the API or an ``account.updated`` event) reduced."""
    requirements = obj.get("requirements") or {}
    due = [*(requirements.get("past_due") or []), *(requirements.get("currently_due") or [])]
    return AccountState(
        account_id=str(obj.get("id") or ""),
        details_submitted=bool(obj.get("details_submitted")),
        charges_enabled=bool(obj.get("charges_enabled")),
        payouts_enabled=bool(obj.get("payouts_enabled")),
        requirements=tuple(dict.fromkeys(str(item) for item in due)),
        disabled_reason=requirements.get("disabled_reason"),
    )


@dataclass(frozen=True)
class TransferRequest:
    """A transfer to send: ``amount_minor`` to the connected account ``destination``, in the
    order's ``transfer_group``, funded by the charge of the payment ``payment_reference`` names
    (its ``source_transaction``), or, with none, by the platform balance (a gift voucher's part:
    the voucher money the platform took earlier). One idempotency key names one transfer."""

    amount_minor: int
    currency: str
    destination: str
    transfer_group: str
    payment_reference: str | None
    metadata: dict[str, str]
    idempotency_key: str


@dataclass(frozen=True)
class TransferResult:
    transfer_id: str
    amount_minor: int
    destination: str


@dataclass(frozen=True)
class ReversalResult:
    reversal_id: str
    amount_minor: int


@dataclass(frozen=True)
class RemoteTransfer:
    """A transfer as the gateway lists it (reconciliation)."""

    transfer_id: str
    destination: str
    amount_minor: int
    amount_reversed_minor: int
    metadata: dict[str, str] = field(default_factory=dict)


class ConnectGateway(Protocol):
    name: str

    def create_account(self, *, venue_id: int, email: str, country: str, idempotency_key: str) -> AccountState:
        """A new Express account for the venue."""

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """The URL of the gateway's onboarding for ``account_id`` (single use, short-lived)."""

    def retrieve_account(self, account_id: str) -> AccountState: ...

    def create_transfer(self, transfer: TransferRequest) -> TransferResult:
        """Send the transfer (see ``TransferRequest``)."""

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, metadata: dict[str, str], idempotency_key: str
    ) -> ReversalResult: ...

    def list_transfers(self, transfer_group: str) -> list[RemoteTransfer]: ...
