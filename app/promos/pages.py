"""What the promo code management pages show, for admins and venue owners alike: the rows,
and a form's values as typed (the pages hold no rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.platform.money import format_money
from app.promos.manage import CURRENCIES, UK
from app.promos.models import FundedBy, PromoCode, PromoKind
from app.promos.rules import describe

FIELDS = (
    "code",
    "kind",
    "amount",
    "currency",
    "funded_by",
    "valid_from",
    "valid_until",
    "min_spend",
    "max_uses_total",
    "max_uses_per_customer",
)


def _amount(minor: int) -> str:
    return f"{minor // 100}" if minor % 100 == 0 else f"{minor // 100}.{minor % 100:02d}"


def form_values(code: PromoCode | None = None, typed: dict[str, str] | None = None) -> dict[str, str]:
    """The form's fields: as typed (after a refusal), from a code (to edit it), or empty."""
    if typed is not None:
        return {name: (typed.get(name) or "")[:60] for name in FIELDS}
    if code is None:
        return dict.fromkeys(FIELDS, "") | {"kind": "percent", "currency": "GBP", "funded_by": "platform"}
    return {
        "code": code.code,
        "kind": code.kind,
        "amount": str(code.value) if code.kind == PromoKind.PERCENT else _amount(code.value),
        "currency": code.currency,
        "funded_by": code.funded_by,
        "valid_from": code.valid_from.astimezone(UK).date().isoformat() if code.valid_from else "",
        # Stored as the start of the day after the last valid day.
        "valid_until": (code.valid_until.astimezone(UK) - timedelta(days=1)).date().isoformat()
        if code.valid_until
        else "",
        "min_spend": _amount(code.min_spend_minor) if code.min_spend_minor else "",
        "max_uses_total": str(code.max_uses_total or ""),
        "max_uses_per_customer": str(code.max_uses_per_customer or ""),
    }


def code_row(code: PromoCode) -> dict[str, Any]:
    values = form_values(code)
    if values["valid_from"] and values["valid_until"]:
        period = f"{values['valid_from']} to {values['valid_until']}"
    elif values["valid_from"]:
        period = f"from {values['valid_from']}"
    elif values["valid_until"]:
        period = f"until {values['valid_until']}"
    else:
        period = "always"
    return {
        "id": code.id,
        "code": code.code,
        "description": describe(code),
        "funded_by": "Platform" if code.funded_by == FundedBy.PLATFORM else "Venue",
        "period": period,
        "min_spend": format_money(code.min_spend_minor, code.currency) if code.min_spend_minor else "none",
        "uses": f"{code.uses_count} of {code.max_uses_total}" if code.max_uses_total else f"{code.uses_count}",
        "per_customer": str(code.max_uses_per_customer) if code.max_uses_per_customer else "no limit",
        "active": code.active,
    }


def page_context(*, for_venue: bool, currency: str | None = None) -> dict[str, Any]:
    return {"for_venue": for_venue, "currencies": CURRENCIES, "venue_currency": currency}
