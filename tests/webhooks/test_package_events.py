"""Packages in a venue's webhooks (docs/webhooks.md): a package sold is one ``package.sold`` event,
and a booking it paid for says so in ``booking.created`` (``data.package``), delivered to a real
local HTTP receiver."""

from __future__ import annotations

import json

from app.booking import cart
from app.checkout import checkout
from app.packages import service as packages
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.webhooks import service
from tests.booking.helpers import future_slot, make_bookable_venue


def test_a_package_sold_and_a_booking_it_paid_for_become_events(ctx, provider, customer, receiver, run_jobs):
    venue, svc = make_bookable_venue(provider)
    service.create_endpoint(venue, url=receiver.url("/ok"), events=["booking.created", "package.sold"])
    offer = packages.save_offer(
        venue,
        packages.OfferInput(
            service_id=svc.id, option_id=None, name="Three quiet hours", sessions=3, valid_days=90, price_minor=15000
        ),
    )
    holding = packages.start_purchase(customer, offer)
    assert pay_by_demo_card(holding.order) == "paid: bookings confirmed"
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=svc.id, starts_at=future_slot(), quantity=1, team_member_id=None)
    booking = checkout.checkout(customer).bookings[0]
    db.session.flush()
    run_jobs()
    events = [json.loads(hit.body) for hit in receiver.hits("/ok")]
    sold = [e["data"] for e in events if e["type"] == "package.sold"]
    assert len(sold) == 1
    assert sold[0]["id"] == holding.id and sold[0]["sessions"] == 3
    assert sold[0]["price"] == {"amount_minor": 15000, "currency": "GBP"}
    assert sold[0]["expires_at"] and sold[0]["customer_id"] == customer.id
    [created] = [e["data"] for e in events if e["type"] == "booking.created"]
    assert created["id"] == booking.id
    assert created["package"] == {"id": holding.id, "name": "Three quiet hours", "sessions_used": 1}
    assert created["price"] == {"amount_minor": 0, "currency": "GBP"}
