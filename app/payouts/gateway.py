"""Which Connect gateway a payout account or a transfer goes through, by name: the one that
took the payment (``Payment.gateway``), or, for a new account, the one that takes payments now
(chosen from config in app/payments/gateway.py). Both answer the port in app/payouts/ports.py.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from app.payments.gateway import configured_gateway_name
from app.payments.ports import GatewayError
from app.payouts.demo_connect import DemoConnect
from app.payouts.ports import ConnectGateway
from app.payouts.stripe_connect import StripeConnect


def _stripe() -> ConnectGateway:
    return StripeConnect.from_config(current_app.config)


CONNECT_GATEWAYS: dict[str, Callable[[], ConnectGateway]] = {"stripe": _stripe, "demo": DemoConnect}


def connect_gateway_named(name: str) -> ConnectGateway:
    factory = CONNECT_GATEWAYS.get(name)
    if factory is None:
        raise GatewayError(f"No payment gateway is called “{name}”.")
    return factory()


def get_connect_gateway() -> ConnectGateway:
    """The gateway new payout accounts are made at: the one that takes new payments."""
    return connect_gateway_named(configured_gateway_name())
