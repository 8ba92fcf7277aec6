"""Which payment gateway the app uses, chosen from config in this one place: Stripe when
STRIPE_SECRET_KEY is set, otherwise the in-app Demo gateway. Both answer the port in
app/payments/ports.py and feed the same event-settling code; Connect's adapters are picked by
the same name (app/payouts/gateway.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from app.payments.demo_gateway import DemoGateway
from app.payments.ports import GatewayError, PaymentGateway
from app.payments.stripe_gateway import StripeGateway
from config import DEV_SECRET_KEY


def configured_gateway_name() -> str:
    """The name of the gateway that takes new payments: ``stripe`` when configured, ``demo``
    otherwise (and the Demo gateway only in development, or with a secret of our own)."""
    if current_app.config.get("STRIPE_SECRET_KEY"):
        return "stripe"
    if current_app.config["ENV_NAME"] != "development" and current_app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise GatewayError("The Demo gateway runs only in development when SECRET_KEY is the public development value.")
    return "demo"


def get_gateway() -> PaymentGateway:
    """The gateway that takes new payments: Stripe when configured, the Demo gateway otherwise."""
    return gateway_named(configured_gateway_name())


def _stripe() -> PaymentGateway:
    return StripeGateway.from_config(current_app.config)


# Every gateway by the name a Payment records (``Payment.gateway``).
GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"stripe": _stripe, "demo": DemoGateway}


def gateway_named(name: str) -> PaymentGateway:
    """The gateway called ``name``. A refund goes through the gateway that took the payment
    (the name on the Payment), even if the configured one has changed since."""
    factory = GATEWAYS.get(name)
    if factory is None:
        raise GatewayError(f"No payment gateway is called “{name}”.")
    return factory()
