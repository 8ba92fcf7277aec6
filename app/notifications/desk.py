"""A booking made at the front desk tells its client: an email when the desk has their email
address, a text message when it has their phone number and a real SMS gateway is configured
(``SMS_GATEWAY`` set). Listens to ``desk_booked`` (app/clients/events.py); the email and the
text are jobs, sent only if the booking's transaction commits."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking
from app.clients.events import desk_booked
from app.clients.models import VenueClient
from app.notifications.sms import send_sms_later
from app.payments.desk_links import link_hours, link_url
from app.platform.email import send_email


@desk_booked.connect
def tell_the_client(_sender: str, *, booking: Booking, client: VenueClient, pay_by_link: bool = False) -> None:
    """The confirmation; with ``pay_by_link``, the payment link too (app/payments/desk_links.py),
    in the email and in the text message."""
    pay_url = link_url(booking) if pay_by_link else None
    if client.email:
        send_email(
            client.email,
            _l("Booked: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
            "desk_booking_confirmed",
            user=booking.customer,
            client_name=client.name,
            booking=booking,
            pay_url=pay_url,
            link_hours=link_hours(),
        )
    if client.phone and current_app.config.get("SMS_GATEWAY"):
        pay = f"Pay online: {pay_url} (or at the venue)." if pay_url else "Pay at the venue."
        send_sms_later(
            client.phone,
            f"{booking.venue.name}: booked {booking.service.name}, {booking_time_short(booking)} "
            f"(ref {booking.reference}). {pay}",
            user_id=client.user_id,
        )
