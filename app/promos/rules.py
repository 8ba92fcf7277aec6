"""The rules of a promo code, as pure functions: whether it applies now, why not (in words a
customer understands), how much it takes off, and how that is shared between items.

Choices (docs/promos.md):
- A percent discount is rounded down to the minor unit: "10% off £19.99" takes off £1.99,
  never more than the stated percent. A fixed discount never exceeds the items it applies to.
- A venue's own code applies only to that venue's items; its minimum spend counts those
  items only. A platform code applies to every item.
- The discount is shared between the discounted items in proportion to their price, by the
  largest remainder, so the shares are whole minor units that add up exactly (``allocate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from app.platform.money import format_money
from app.platform.timefmt import moment_label, venue_zone
from app.promos.models import PromoCode, PromoKind

CODE_MAX_LENGTH = 32
UK = venue_zone("Europe/London")  # codes are a marketplace's, shown in its own time zone


@dataclass(frozen=True)
class PricedLine:
    """An item the code may discount: its venue and what it costs (price x quantity)."""

    venue_id: int
    amount_minor: int


def normalise(text: str | None) -> str:
    """A code as typed, without surrounding spaces; matching ignores capitals."""
    return (text or "").strip()


def eligible(code: PromoCode, lines: Sequence[PricedLine]) -> list[int]:
    """Indexes of ``lines`` the code discounts."""
    return [i for i, line in enumerate(lines) if code.venue_id is None or line.venue_id == code.venue_id]


def discount_for(code: PromoCode, subtotal_minor: int) -> int:
    """What the code takes off ``subtotal_minor`` of eligible items: percent rounded down,
    fixed at most the subtotal."""
    if subtotal_minor <= 0:
        return 0
    if code.kind == PromoKind.PERCENT:
        return subtotal_minor * code.value // 100
    return min(code.value, subtotal_minor)


def allocate(discount_minor: int, amounts: Sequence[int]) -> list[int]:
    """``discount_minor`` shared in proportion to ``amounts`` (largest remainder; ties go to
    the earlier line). The shares add up to ``discount_minor`` and none exceeds its amount."""
    total = sum(amounts)
    if discount_minor < 0 or any(a < 0 for a in amounts) or discount_minor > total:
        raise ValueError("A discount is shared over amounts that cover it.")
    if discount_minor == 0:
        return [0] * len(amounts)
    shares = [discount_minor * a // total for a in amounts]
    remainders = [discount_minor * a % total for a in amounts]
    left = discount_minor - sum(shares)
    for i in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares


def _date(moment: datetime) -> str:
    return moment_label(moment, UK)


def refusal(
    code: PromoCode,
    lines: Sequence[PricedLine],
    *,
    currency: str,
    now: datetime,
    uses_by_customer: int,
    venue_name: str | None = None,
) -> str | None:
    """Why ``code`` can't be used on these items now (a sentence), or None if it can.

    ``uses_by_customer``: the customer's live uses of this code so far."""
    name = code.code
    if not code.active:
        return _("The code %(name)s is no longer available.", name=name)
    if code.valid_from is not None and now < code.valid_from:
        return _(
            "The code %(name)s isn't valid yet: it can be used from %(date)s.", name=name, date=_date(code.valid_from)
        )
    if code.valid_until is not None and now >= code.valid_until:
        return _("The code %(name)s expired on %(date)s.", name=name, date=_date(code.valid_until))
    if currency != code.currency:
        return _("The code %(name)s is for payments in %(currency)s.", name=name, currency=code.currency)
    chosen = eligible(code, lines)
    if not chosen:
        where = venue_name or _("another venue")
        return _(
            "The code %(name)s is only valid at %(where)s, and nothing in your cart is from there.",
            name=name,
            where=where,
        )
    subtotal = sum(lines[i].amount_minor for i in chosen)
    if subtotal < code.min_spend_minor:
        spend = format_money(code.min_spend_minor, code.currency)
        so_far = format_money(subtotal, code.currency)
        scope = _(" at %(venue)s", venue=venue_name) if code.venue_id is not None and venue_name else ""
        return _(
            "The code %(name)s needs a minimum spend of %(spend)s%(scope)s; your items come to %(so_far)s.",
            name=name,
            spend=spend,
            scope=scope,
            so_far=so_far,
        )
    if discount_for(code, subtotal) <= 0:
        return _("The code %(name)s takes nothing off these items.", name=name)
    if code.max_uses_total is not None and code.uses_count >= code.max_uses_total:
        return _("The code %(name)s has been used up.", name=name)
    if code.max_uses_per_customer is not None and uses_by_customer >= code.max_uses_per_customer:
        if code.max_uses_per_customer == 1:
            return _("You have already used the code %(name)s.", name=name)
        return _(
            "You have already used the code %(name)s %(limit)s times, its limit per customer.",
            name=name,
            limit=code.max_uses_per_customer,
        )
    return None


def describe(code: PromoCode) -> str:
    """What the code gives, in a few words: "10% off", "£5.00 off"."""
    if code.kind == PromoKind.PERCENT:
        return _("%(percent)s%% off", percent=code.value)
    return _("%(amount)s off", amount=format_money(code.value, code.currency))
