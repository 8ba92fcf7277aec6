"""Stripe's event shape, read once (app/payments/stripe_events.py): the Demo gateway's events
are shaped like Stripe's, so both adapters hand settling the same fields from the same event."""

from __future__ import annotations

import json

import pytest

from app.payments import demo_gateway, stripe_events
from app.payments.ports import InvalidEvent

EVENTS = [
    {
        "id": "evt_1",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_1",
                "object": "checkout.session",
                "payment_intent": {"id": "pi_1", "object": "payment_intent"},  # expanded
                "payment_status": "paid",
                "customer": "cus_1",
                "metadata": {"order_id": "42"},
            }
        },
    },
    {
        "id": "evt_2",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_1",
                "amount_refunded": 700,
                "refunds": {"data": [{"id": "re_1", "status": "pending", "created": 1}, {"id": "re_2", "created": 2}]},
            }
        },
    },
    {
        "id": "evt_3",
        "type": "refund.updated",
        "data": {"object": {"id": "re_1", "object": "refund", "status": "canceled", "amount": 700}},
    },
    {"id": "evt_4", "type": "payout.paid", "data": {"object": {"id": "po_1", "object": "payout"}}},
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["type"])
def test_the_demo_gateway_reads_an_event_as_the_stripe_shape_does(event):
    assert demo_gateway.to_gateway_event(json.loads(json.dumps(event))) == stripe_events.to_gateway_event(event)


def test_the_stripe_shape_reads_expandable_ids_and_our_refund_statuses():
    session, refunded, refund, other = (stripe_events.to_gateway_event(e) for e in EVENTS)
    assert (session.session_id, session.payment_intent_id, session.order_id) == ("cs_1", "pi_1", 42)
    assert (refunded.refund_id, refunded.refund_status, refunded.amount_refunded) == ("re_2", "pending", 700)
    assert (refund.refund_id, refund.refund_status) == ("re_1", "failed")
    assert (other.type, other.session_id, other.payment_intent_id) == ("payout.paid", None, None)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "payout.paid", "data": {"object": {}}}, "no id"),
        ({"id": "evt_1", "type": "x" * 81, "data": {"object": {}}}, "no type"),
        ({"id": "evt_1", "type": "payout.paid", "data": {}}, "no data object"),
    ],
)
def test_the_demo_gateway_refuses_what_its_event_table_cannot_store(event, message):
    with pytest.raises(InvalidEvent, match=message):
        demo_gateway.to_gateway_event(event)
