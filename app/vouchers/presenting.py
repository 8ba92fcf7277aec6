"""How a voucher reads on pages and in email: decided values, no rules in templates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.platform.money import format_money
from app.vouchers.ledger import display_code, expiry_label, is_expired
from app.vouchers.models import Voucher
from app.vouchers.treatments import treatment_label


def voucher_card(voucher: Voucher, *, balance_minor: int, now: datetime | None = None) -> dict[str, Any]:
    purchase = voucher.purchase
    expired = is_expired(voucher, now or datetime.now(UTC))
    return {
        "code": display_code(voucher.code),
        "value": format_money(voucher.value_minor, voucher.currency),
        "balance": format_money(balance_minor, voucher.currency),
        "balance_minor": balance_minor,
        "expires": expiry_label(voucher),
        "expires_iso": voucher.expires_at.astimezone(UTC).isoformat(timespec="seconds"),
        "expired": expired,
        "venue": voucher.venue.name if voucher.venue else purchase.venue_name,
        # A treatment gift reads as what it is for ("A 90-minute Deep tissue massage at …"),
        # never as an amount; "used" once it is not whole (spent, or given back only in part).
        "treatment": treatment_label(purchase) if voucher.is_treatment else None,
        "used": voucher.is_treatment and balance_minor < voucher.value_minor,
        "recipient_name": purchase.recipient_name,
        "sender_name": purchase.sender_name,
        "message": purchase.message,
    }
