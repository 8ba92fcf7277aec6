"""Cancellation policy: free until N hours before the start; later a fee, or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CancellationQuote:
    allowed: bool
    refund_minor: int
    fee_minor: int
    free_until: datetime
    reason: str = ""


def quote_cancellation(
    *,
    paid_minor: int,
    starts_at: datetime,
    now: datetime,
    free_hours: int,
    late_fee_percent: int | None,
) -> CancellationQuote:
    """What a customer gets back for cancelling now. Fees round down in the customer's favour."""
    free_until = starts_at - timedelta(hours=free_hours)
    if now >= starts_at:
        return CancellationQuote(False, 0, 0, free_until, "This appointment has already started.")
    if now < free_until:
        return CancellationQuote(True, paid_minor, 0, free_until)
    if late_fee_percent is None:
        return CancellationQuote(
            False, 0, 0, free_until, f"Free cancellation ended {free_hours} hours before the start."
        )
    fee = paid_minor * late_fee_percent // 100
    return CancellationQuote(True, paid_minor - fee, fee, free_until)


def describe_policy(free_hours: int, late_fee_percent: int | None) -> str:
    """The policy in one sentence, for the service list, checkout, the booking and emails."""
    free = (
        "Free cancellation until the appointment starts"
        if free_hours == 0
        else (f"Free cancellation up to {free_hours} hour{'s' if free_hours != 1 else ''} before")
    )
    if free_hours == 0:
        return free + "."
    if late_fee_percent is None:
        return free + "; after that it can't be cancelled."
    if late_fee_percent == 0:
        return free + "; after that, still free."
    return free + f"; after that, a {late_fee_percent}% fee."
