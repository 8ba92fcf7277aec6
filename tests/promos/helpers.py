"""Builders for promo code tests."""

from __future__ import annotations

from app.platform.extensions import db
from app.promos.models import PromoCode


def make_code(code: str = "SPRING10", **fields) -> PromoCode:
    """A platform code, 10% off in GBP, unless ``fields`` say otherwise (flushed)."""
    values = {"kind": "percent", "value": 10, "currency": "GBP", "funded_by": "platform", "uses_count": 0}
    values.update(fields)
    row = PromoCode(code=code, **values)
    db.session.add(row)
    db.session.flush()
    return row
