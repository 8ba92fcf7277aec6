"""A losing checkout (the 99 in 100 of a race for one place) is cheap: one statement reads the
cart with its services and venues and finds the item gone, and nothing is locked."""

from __future__ import annotations

import pytest

from app.booking.cart import CartOwner, add_item
from app.booking.errors import SlotUnavailable
from app.checkout import checkout as checkouts
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.statements import statements_sent


def test_a_losing_checkout_sends_one_statement_and_takes_no_lock(ctx, provider, customer, make_user):
    _venue, service = make_bookable_venue(provider)
    start = future_slot(days=3, hour=10)
    add_item(CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None)
    book(make_user(name="Quick Winner"), service, start)  # someone else got there first
    db.session.expire_all()
    assert customer.is_verified  # loaded, as the request's session user is before checkout runs
    with statements_sent() as sent, pytest.raises(SlotUnavailable, match="just taken"):
        checkouts.checkout(customer)
    assert not any("FOR UPDATE" in s for s in sent), sent
    assert len(sent) == 1, "\n".join(sent)
