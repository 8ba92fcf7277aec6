"""A booking made at the front desk tells its client: an email when the desk has their email
address, a text message when it has their phone number and a real SMS gateway is configured
(``SMS_GATEWAY`` set): catalogue.desk_booked. Listens to ``desk_booked``
(app/clients/events.py); the email and the text are jobs, sent only if the booking's
transaction commits."""

from __future__ import annotations

from app.booking.models import Booking
from app.clients.events import desk_booked
from app.clients.models import VenueClient
from app.notifications import catalogue
from app.payments.desk_links import link_url


@desk_booked.connect
def tell_the_client(_sender: str, *, booking: Booking, client: VenueClient, pay_by_link: bool = False) -> None:
    """The confirmation; with ``pay_by_link``, the payment link too (app/payments/desk_links.py),
    in the email and in the text message."""
    pay_url = link_url(booking) if pay_by_link else None
    catalogue.desk_booked.send(booking.customer, booking=booking, client=client, pay_url=pay_url)
