"""A booking's message thread as the customer's booking page and the provider's booking view
both show it (``thread_context``), and the one check every thread URL starts with
(``get_thread_booking``). Not a page module: the pages of both sides import it."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_login import current_user

from app.booking.models import Booking
from app.messages import service as messages
from app.messages.models import BODY_MAX_LENGTH, REPORT_REASON_MAX_LENGTH, BookingMessage, Side
from app.platform import timefmt
from app.platform.extensions import db


def get_thread_booking(booking_id: int, side: Side) -> Booking:
    """The booking whose thread the signed-in user reads from ``side``; anyone else: 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.customer_id is None:  # a walk-in without an account: no thread
        abort(404)
    if messages.side_of(current_user._get_current_object(), booking) != side:
        abort(404)
    return booking


def post_url(booking: Booking, side: Side) -> str:
    if side == Side.CUSTOMER:
        return url_for("booking.post_booking_message", reference=booking.reference)
    return url_for("venues_dashboard.post_venue_message", booking_id=booking.id)


def report_url(booking: Booking, side: Side, message_id: int) -> str:
    if side == Side.CUSTOMER:
        return url_for("booking.report_booking_message", reference=booking.reference, message_id=message_id)
    return url_for("venues_dashboard.report_venue_message", booking_id=booking.id, message_id=message_id)


def _row(message: BookingMessage, booking: Booking, side: Side, zone: Any) -> dict[str, Any]:
    mine = message.sender_side == side
    if mine:
        sender = None
    elif message.sender_side == Side.VENUE:
        sender = booking.venue.name
    else:
        sender = booking.customer.name
    return {
        "id": message.id,
        "mine": mine,
        "sender": sender,
        "body": None if message.is_hidden else message.body,
        "hidden": message.is_hidden,
        "when": timefmt.moment_label(message.created_at, zone),
        "iso": message.created_at.isoformat(timespec="seconds"),
        "read": mine and message.read_by_other_at is not None,
        "reported": not mine and message.reported_at is not None,
        "can_report": not mine and message.reported_at is None and not message.is_hidden,
        "report_url": report_url(booking, side, message.id),
    }


def thread_context(
    booking: Booking,
    side: Side,
    *,
    error: str = "",
    body: str = "",
    report_error: tuple[int, str] | None = None,
) -> dict[str, Any] | None:
    """The thread's part of a booking page; None for a desk booking of a walk-in without an
    account (nobody to write to: the desk calls or emails them)."""
    if booking.customer is None:
        return None
    zone = timefmt.venue_zone(booking.venue)
    return {
        "messages": [_row(m, booking, side, zone) for m in messages.find_thread(booking.id)],
        "side": side.value,
        "other": booking.venue.name if side == Side.CUSTOMER else booking.customer.name,
        "post_url": post_url(booking, side),
        "open": messages.is_open(booking),
        "error": error,
        "body": body,
        "report_error": report_error,
        "max_length": BODY_MAX_LENGTH,
        "reason_max_length": REPORT_REASON_MAX_LENGTH,
    }
