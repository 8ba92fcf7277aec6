"""An order's promo code line, as it was made at checkout: for the order page and the receipt."""

from __future__ import annotations

from typing import Any

from app.booking.models import Order
from app.platform.money import format_money


def promo_lines(order: Order) -> dict[str, Any]:
    """``promo_code`` (None without one), the items' ``subtotal`` and the ``promo_discount``."""
    if not order.promo_discount_minor:
        return {"promo_code": None}
    return {
        "promo_code": order.promo_code,
        "subtotal": format_money(order.total_minor + order.promo_discount_minor, order.currency),
        "promo_discount": format_money(order.promo_discount_minor, order.currency),
    }
