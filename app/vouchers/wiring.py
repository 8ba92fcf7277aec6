"""What gift vouchers plug into the app: a paid purchase issues its voucher (``order_paid``)."""

from flask import Flask

from app.vouchers import purchase  # noqa: F401  (its order_paid receiver issues the voucher)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: a voucher is issued by the payment that buys it."""
