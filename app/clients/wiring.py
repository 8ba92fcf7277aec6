"""What the client book plugs into the app: its receivers (a paid order's customer becomes a
client; a blocked client's cart is refused). Nothing on the schedule."""

from flask import Flask

from app.clients import models, receivers  # noqa: F401  (the table; order_paid and cart_adding receivers)


def init_app(app: Flask) -> None:
    """Nothing to schedule: the receivers are connected by importing them."""
