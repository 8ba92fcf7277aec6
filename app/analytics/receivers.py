"""Analytics' receivers: a paid order is the funnel's last step."""

from __future__ import annotations

from typing import Any

from app.analytics import funnel
from app.booking.events import order_paid


@order_paid.connect
def count_paid_order(_sender: Any, *, order: Any, now: Any = None, **_: Any) -> None:
    funnel.count_paid(now=now)
