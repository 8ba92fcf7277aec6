"""A person's booking messages in their data export (docs/privacy.md): every message of the
threads of their own bookings (theirs and the venue's replies), and any message they wrote for
a venue as its staff. The venue's side is named by the venue, not by the staff member who
wrote (that person's own data); a venue's message an admin hid is listed without its text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.booking.models import Booking
from app.messages.models import BookingMessage, Side
from app.platform.extensions import db
from app.privacy.events import export_collecting

FILE_NAME = "messages.json"


def messages_for_export(user: User) -> list[dict[str, Any]]:
    own_bookings = select(Booking.id).where(Booking.customer_id == user.id).scalar_subquery()
    rows = db.session.scalars(
        select(BookingMessage)
        .where(or_(BookingMessage.booking_id.in_(own_bookings), BookingMessage.sender_user_id == user.id))
        .options(selectinload(BookingMessage.booking).selectinload(Booking.venue))
        .order_by(BookingMessage.booking_id, BookingMessage.created_at, BookingMessage.id)
    )
    found = []
    for message in rows:
        mine = message.sender_user_id == user.id
        found.append(
            {
                "booking_reference": message.booking.reference,
                "venue": message.booking.venue.name,
                "from": "you" if mine else ("venue" if message.sender_side == Side.VENUE else "customer"),
                "sent_at": message.created_at,
                "body": None if message.is_hidden and not mine else message.body,
                "hidden_by_admin": message.is_hidden,
                "read_by_other_side_at": message.read_by_other_at,
                # a report is shown to the person who made it only
                "you_reported_it_at": message.reported_at if message.reported_by_user_id == user.id else None,
                "your_report_reason": message.report_reason if message.reported_by_user_id == user.id else None,
            }
        )
    return found


@export_collecting.connect
def add_messages(sender: str, *, user: User) -> tuple[str, list[dict[str, Any]]]:
    return FILE_NAME, messages_for_export(user)
