"""What promo codes plug into the app: their receivers of released and late-paid orders."""

from flask import Flask

from app.promos import receivers  # noqa: F401  (order_released, order_paid)


def init_app(app: Flask) -> None:
    """Nothing on the schedule."""
