"""The promo code in the cart: what it takes off the items as they are now, or why it can't
be used (the cart page shows either; checkout decides again under the code's row lock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.booking.cart import CartView
from app.platform.cache_versions import follows, valid_until
from app.promos.models import PromoCode
from app.promos.redemption import get_cart_promo, why_not
from app.promos.rules import PricedLine, describe, discount_for, eligible


def promo_namespace(code_id: int) -> str:
    """The cache namespace of one code: its row changes with each use and each edit."""
    return f"promo:{code_id}"


@dataclass(frozen=True)
class CartDiscount:
    code: PromoCode
    description: str  # "10% off"
    discount_minor: int  # 0 when refused
    problem: str | None  # why it can't be used now


def bookable_lines(view: CartView) -> list[PricedLine]:
    return [PricedLine(line.venue.id, line.total_minor) for line in view.lines if line.problem is None]


def get_cart_discount(user_id: int | None, view: CartView, *, now: datetime) -> CartDiscount | None:
    """The cart's code and its discount on the bookable items, or None without a code."""
    if user_id is None:
        return None
    chosen = get_cart_promo(user_id)
    if chosen is None:
        return None
    code = chosen.promo_code
    follows(promo_namespace(code.id))  # a cached cart follows the code's uses and edits
    for moment in (code.valid_from, code.valid_until):
        if moment is not None and moment > now:
            valid_until(moment)  # and changes by itself when the code starts or ends
    lines = bookable_lines(view)
    problem = (
        why_not(code, lines, customer_id=user_id, currency=view.currency or code.currency, now=now)
        if lines
        else "Add something to your cart to use this code."
    )
    discount = 0
    if problem is None:
        discount = discount_for(code, sum(lines[i].amount_minor for i in eligible(code, lines)))
    return CartDiscount(code=code, description=describe(code), discount_minor=discount, problem=problem)
