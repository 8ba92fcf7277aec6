"""Builders for gift voucher tests: a voucher bought and paid the way customers do it."""

from __future__ import annotations

from app.booking import cart
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.vouchers.models import Voucher
from app.vouchers.purchase import PurchaseRequest, start_purchase


def wish(amount_minor: int = 5000, **fields) -> PurchaseRequest:
    values = {
        "amount_minor": amount_minor,
        "recipient_name": "Rosa Recipient",
        "recipient_email": "rosa@example.com",
        "sender_name": "Sam Sender",
        "message": "Happy birthday!",
    }
    values.update(fields)
    return PurchaseRequest(**values)


def bought_voucher(buyer, amount_minor: int = 5000, **fields) -> Voucher:
    """A voucher bought by ``buyer`` and paid with the Demo gateway's paying card."""
    purchase = start_purchase(buyer, wish(amount_minor, **fields))
    assert pay_by_demo_card(purchase.order) == "paid: bookings confirmed"
    db.session.flush()
    db.session.refresh(purchase)
    assert purchase.voucher is not None
    return purchase.voucher


def checkout_with(customer, service, starts_at, code: str | None, *, quantity: int = 1):
    """The customer's cart with one item, checked out with a voucher code."""
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=starts_at,
        quantity=quantity,
        team_member_id=None,
    )
    return checkout.checkout(customer, voucher_code=code)
