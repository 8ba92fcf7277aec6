"""Stripe's event shape, reduced to the port's ``GatewayEvent``.

The Stripe adapter (app/payments/stripe_gateway.py) reads Stripe's own events with it, and
the Demo gateway (app/payments/demo_gateway.py), whose events are shaped like Stripe's, reads
its own with it too, so both gateways hand settling the same fields from the same event. It
imports neither the ``stripe`` library nor any domain model: events arrive as plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.payments.ports import GatewayEvent, InvalidEvent


def refund_status(status: str | None) -> str:
    """Stripe's refund statuses reduced to ours: pending | succeeded | failed."""
    if status == "succeeded":
        return "succeeded"
    if status in ("failed", "canceled"):
        return "failed"
    return "pending"  # pending, requires_action


def id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get("id")
    return None


def _order_id(obj: Mapping[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def to_gateway_event(data: Mapping[str, Any]) -> GatewayEvent:
    """A Stripe-shaped event (as a plain dict) reduced to what settling needs."""
    event_id, kind = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not isinstance(kind, str):
        raise InvalidEvent("The event has no id or type.")
    obj = (data.get("data") or {}).get("object") or {}
    raw = dict(data)
    if kind.startswith("checkout.session."):
        return GatewayEvent(
            id=event_id,
            type=kind,
            session_id=obj.get("id"),
            payment_intent_id=id_of(obj.get("payment_intent")),
            payment_status=obj.get("payment_status"),
            order_id=_order_id(obj),
            customer_id=id_of(obj.get("customer")),
            setup_intent_id=id_of(obj.get("setup_intent")),
            raw=raw,
        )
    if kind.startswith("payment_intent."):
        return GatewayEvent(id=event_id, type=kind, payment_intent_id=obj.get("id"), order_id=_order_id(obj), raw=raw)
    if kind == "charge.refunded":
        # Older API versions embed the charge's refunds (newest first); newer ones don't, and
        # then refund.updated carries each refund's final status.
        refunds = sorted(
            (obj.get("refunds") or {}).get("data") or [], key=lambda r: r.get("created") or 0, reverse=True
        )
        newest = refunds[0] if refunds else {}
        return GatewayEvent(
            id=event_id,
            type=kind,
            payment_intent_id=id_of(obj.get("payment_intent")),
            refund_id=newest.get("id"),
            refund_status=refund_status(newest.get("status")) if newest else None,
            amount_refunded=obj.get("amount_refunded"),
            raw=raw,
        )
    if kind.startswith("refund."):
        return GatewayEvent(
            id=event_id,
            type=kind,
            payment_intent_id=id_of(obj.get("payment_intent")),
            refund_id=obj.get("id"),
            refund_status=refund_status(obj.get("status")),
            amount_refunded=obj.get("amount"),
            raw=raw,
        )
    return GatewayEvent(id=event_id, type=kind, raw=raw)
