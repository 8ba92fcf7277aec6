"""What gift vouchers plug into the app: a paid purchase issues its voucher (``order_paid``);
released and late-paid orders give back and take again their voucher part."""

from flask import Flask

from app.vouchers import purchase, receivers  # noqa: F401  (order_paid issues a voucher; releases, late payments)


def init_app(app: Flask) -> None:
    """Nothing on the schedule: a voucher is issued by the payment that buys it."""
