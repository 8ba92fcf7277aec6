"""The rules of a booking's message thread: who may read and write it, what a message may be,
how often one may be sent, reporting one and an admin's decision on a report.

Views call these with plain values and commit once. A new message tells the other side with
a notice in the app, and by email (a job, sent after commit) when their "Changes and
cancellations" email is on (app/notifications/catalogue.py, ``new_message``): a message is
about a booking, like a change to it. Reading a thread marks its messages and their notices
read. ``conversations`` is a venue's list of its threads, unread first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, false, func, select, update

from app.accounts.models import User
from app.audit import service as audit
from app.booking.models import Booking, BookingStatus
from app.messages.models import BODY_MAX_LENGTH, REPORT_REASON_MAX_LENGTH, BookingMessage, Moderation, Side
from app.notifications import catalogue, centre
from app.platform.errors import Conflict, NotAllowed, TooManyAttempts, ValidationFailed
from app.platform.extensions import db
from app.platform.form_fields import required_text
from app.platform.sqlutil import one_or_not_found
from app.venues import staff
from app.venues.models import Service, StaffRole, Venue

RATE_WINDOW = timedelta(hours=1)
PER_BOOKING_LIMIT = 10  # messages one sender may send in one thread per hour
PER_USER_LIMIT = 30  # messages one person may send across all their threads per hour
CLOSED_STATUSES = (BookingStatus.HELD, BookingStatus.EXPIRED)  # never booked: nothing to talk about


class TooManyMessages(TooManyAttempts):
    pass


class AlreadyReported(Conflict):
    pass


def side_of(user: User | None, booking: Booking) -> Side | None:
    """Which side of the booking's thread ``user`` is on, or None when they aren't on it."""
    if user is None or not getattr(user, "is_authenticated", True) or user.id is None:
        return None
    if user.id == booking.customer_id:
        return Side.CUSTOMER
    if user.id == booking.venue.owner_id:
        return Side.VENUE
    member = staff.find_membership(user.id) if getattr(user, "is_staff", False) else None
    # the venue's staff; a practitioner only on the bookings with them (docs/staff-roles.md)
    if (
        member is not None
        and member.venue_id == booking.venue_id
        and (member.role != StaffRole.PRACTITIONER or member.team_member_id == booking.team_member_id)
    ):
        return Side.VENUE
    return None


def may_read_thread(user: User | None, booking: Booking) -> bool:
    """The booking's customer and the venue's people (owner and staff, a practitioner on their own
    bookings) read and write its thread; no one else."""
    return side_of(user, booking) is not None


def find_thread(booking_id: int) -> list[BookingMessage]:
    query = (
        select(BookingMessage)
        .where(BookingMessage.booking_id == booking_id)
        .order_by(BookingMessage.created_at, BookingMessage.id)
    )
    return list(db.session.scalars(query))


def find_message(booking: Booking, message_id: int) -> BookingMessage:
    return one_or_not_found(
        select(BookingMessage).where(BookingMessage.id == message_id, BookingMessage.booking_id == booking.id),
        _("That message is not part of this booking's conversation."),
    )


def is_open(booking: Booking) -> bool:
    return booking.status not in CLOSED_STATUSES


def clean_body(body: str | None) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed(_("Write a message before sending it."))
    if len(text) > BODY_MAX_LENGTH:
        raise ValidationFailed(
            _(
                "Keep your message under %(max_length)s characters (it has %(length)s).",
                max_length=BODY_MAX_LENGTH,
                length=len(text),
            )
        )
    return text


def _sent_since(since: datetime, sender_id: int, booking_id: int | None = None) -> int:
    query = (
        select(func.count())
        .select_from(BookingMessage)
        .where(BookingMessage.sender_user_id == sender_id, BookingMessage.created_at > since)
    )
    if booking_id is not None:
        query = query.where(BookingMessage.booking_id == booking_id)
    return db.session.scalar(query) or 0


def post_message(booking: Booking, sender: User, body: str | None, *, now: datetime) -> BookingMessage:
    """Add ``sender``'s message to the booking's thread and email the other side.

    Refused, with nothing stored: not on the thread (NotAllowed), a booking never booked
    (Conflict), empty or too long (ValidationFailed), too many lately (TooManyMessages)."""
    side = side_of(sender, booking)
    if side is None:
        raise NotAllowed(_("Only the customer and the venue can write in this conversation."))
    if not is_open(booking):
        raise Conflict(_("This booking was never confirmed, so there is no conversation to join."))
    text = clean_body(body)
    # One sender at a time: counting and writing under a lock on the sender's row, so two
    # parallel posts can't both slip under the limit.
    db.session.execute(select(User.id).where(User.id == sender.id).with_for_update())
    since = now - RATE_WINDOW
    if _sent_since(since, sender.id, booking.id) >= PER_BOOKING_LIMIT:
        raise TooManyMessages(
            _(
                "You've sent %(limit)s messages about this booking in the last hour. Please wait a little "
                "before sending more.",
                limit=PER_BOOKING_LIMIT,
            )
        )
    if _sent_since(since, sender.id) >= PER_USER_LIMIT:
        raise TooManyMessages(
            _(
                "You've sent %(limit)s messages in the last hour. Please wait a little before sending more.",
                limit=PER_USER_LIMIT,
            )
        )
    message = BookingMessage(
        booking_id=booking.id, sender_user_id=sender.id, sender_side=side, body=text, created_at=now
    )
    db.session.add(message)
    db.session.flush()
    _tell_other_side(booking, message, side)
    return message


def recipient_of(booking: Booking, side: Side) -> User:
    return booking.venue.owner if side == Side.CUSTOMER else booking.customer


def _tell_other_side(booking: Booking, message: BookingMessage, side: Side) -> None:
    """The other side hears of it in the app, and by email as they chose (catalogue.new_message)."""
    recipient = recipient_of(booking, side)
    catalogue.new_message.send(
        recipient, booking=booking, message_id=message.id, body=message.body, for_venue=side == Side.CUSTOMER
    )


def mark_read(booking: Booking, reader: User, *, now: datetime) -> int:
    """The reader has seen the other side's messages: stamp them read, and their notices of
    them (catalogue.message_keys). Returns how many messages."""
    side = side_of(reader, booking)
    if side is None:
        return 0
    centre.mark_read_by_key(reader.id, catalogue.message_keys(booking.id), now=now)
    result = db.session.execute(
        update(BookingMessage)
        .where(
            BookingMessage.booking_id == booking.id,
            BookingMessage.sender_side != side,
            BookingMessage.read_by_other_at.is_(None),
        )
        .values(read_by_other_at=now)
    )
    return result.rowcount or 0


def unread_count(booking: Booking, reader: User) -> int:
    side = side_of(reader, booking)
    if side is None:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(BookingMessage)
            .where(
                BookingMessage.booking_id == booking.id,
                BookingMessage.sender_side != side,
                BookingMessage.read_by_other_at.is_(None),
            )
        )
        or 0
    )


def clean_reason(reason: str | None, *, what: str) -> str:
    return required_text(
        reason,
        missing=what,
        max_length=REPORT_REASON_MAX_LENGTH,
        too_long=_("Keep the reason under %(max_length)s characters.", max_length=REPORT_REASON_MAX_LENGTH),
    )


def report_message(message: BookingMessage, reporter: User, reason: str | None, *, now: datetime) -> None:
    """The message's recipient reports it to the admins, saying why. Audited."""
    side = side_of(reporter, message.booking)
    if side is None or side == message.sender_side:
        raise NotAllowed(_("You can only report a message sent to you."))
    text = clean_reason(reason, what=_("Say why you are reporting this message."))
    if message.reported_at is not None:
        raise AlreadyReported(_("This message is already reported: an admin will look at it."))
    message.reported_at = now
    message.report_reason = text
    message.reported_by_user_id = reporter.id
    audit.record(
        "message.reported",
        actor_id=reporter.id,
        about=("booking_message", message.id),
        reason=text,
        booking_id=message.booking_id,
    )
    db.session.flush()


REPORT_FILTERS = {
    "open": _l("Waiting for a decision"),
    "hidden": _l("Hidden"),
    "dismissed": _l("Dismissed"),
    "all": _l("All reported"),
}


def reported_query(status: str):
    query = select(BookingMessage).where(BookingMessage.reported_at.is_not(None))
    if status == "open":
        query = query.where(BookingMessage.moderation.is_(None))
    elif status in (Moderation.HIDDEN, Moderation.DISMISSED):
        query = query.where(BookingMessage.moderation == status)
    return query.order_by(BookingMessage.reported_at.desc(), BookingMessage.id.desc())


def moderate(message: BookingMessage, *, action: str, actor: User, now: datetime) -> None:
    """An admin's decision on a reported message: hide it, or dismiss the report. Audited."""
    if message.reported_at is None:
        raise Conflict(_("This message was not reported."))
    if action not in ("hide", "dismiss"):
        raise ValidationFailed(_("Choose to hide the message or dismiss the report."))
    target = Moderation.HIDDEN if action == "hide" else Moderation.DISMISSED
    if message.moderation == target:
        raise Conflict(
            _("This message is already hidden.") if action == "hide" else _("This report is already dismissed.")
        )
    before = message.moderation or "reported"
    message.moderation = target
    message.moderated_at = now
    audit.record(
        f"message.{'hidden' if action == 'hide' else 'report_dismissed'}",
        actor_id=actor.id,
        about=("booking_message", message.id),
        from_state=before,
        to_state=target,
        booking_id=message.booking_id,
    )
    db.session.flush()


# -- a venue's conversations ---------------------------------------------------------------------

CONVERSATIONS_PAGE = 25


@dataclass(frozen=True)
class Conversation:
    """One booking's thread in a venue's list: its last message and how many of the customer's
    the venue has not read."""

    booking_id: int
    reference: str
    starts_at: datetime
    service: str
    customer: str
    last_body: str | None  # None when an admin hid the last message
    last_side: str
    last_at: datetime
    unread: int


def _venue_scope(venue: Venue, reader: User) -> list[ColumnElement[bool]]:
    """The bookings of ``venue`` whose threads ``reader`` reads (``side_of``): all of them for
    the owner and its staff, a practitioner's own only; none for anyone else."""
    scope = [Booking.venue_id == venue.id]
    if reader.id == venue.owner_id:
        return scope
    member = staff.find_membership(reader.id) if getattr(reader, "is_staff", False) else None
    if member is None or member.venue_id != venue.id:
        return [false()]
    if member.role == StaffRole.PRACTITIONER:
        scope.append(Booking.team_member_id == member.team_member_id)
    return scope


def conversations(
    venue: Venue, reader: User, *, page: int = 1, size: int = CONVERSATIONS_PAGE
) -> tuple[list[Conversation], bool]:
    """A page of the venue's threads that ``reader`` reads, one row per booking with messages:
    those with unread messages from the customer first, then the latest message newest first.
    Returns the rows and whether another page follows. One statement."""
    newest_first = (BookingMessage.created_at.desc(), BookingMessage.id.desc())
    unread_one = and_(BookingMessage.sender_side == Side.CUSTOMER, BookingMessage.read_by_other_at.is_(None))
    ranked = (
        select(
            BookingMessage.booking_id,
            BookingMessage.body,
            BookingMessage.sender_side,
            BookingMessage.moderation,
            BookingMessage.created_at,
            func.row_number().over(partition_by=BookingMessage.booking_id, order_by=newest_first).label("place"),
            func.count().filter(unread_one).over(partition_by=BookingMessage.booking_id).label("unread"),
        )
        .join(Booking, Booking.id == BookingMessage.booking_id)
        .where(*_venue_scope(venue, reader))
        .subquery()
    )
    query = (
        select(
            ranked.c.booking_id,
            Booking.reference,
            Booking.starts_at,
            Service.name,
            User.name,
            ranked.c.body,
            ranked.c.moderation,
            ranked.c.sender_side,
            ranked.c.created_at,
            ranked.c.unread,
        )
        .join(Booking, Booking.id == ranked.c.booking_id)
        .join(Service, Service.id == Booking.service_id)
        .join(User, User.id == Booking.customer_id)
        .where(ranked.c.place == 1)
        .order_by(case((ranked.c.unread > 0, 0), else_=1), ranked.c.created_at.desc(), ranked.c.booking_id.desc())
        .limit(size + 1)
        .offset((page - 1) * size)
    )
    rows = [
        Conversation(
            booking_id=booking_id,
            reference=reference,
            starts_at=starts_at,
            service=service,
            customer=customer,
            last_body=None if moderation == Moderation.HIDDEN else body,
            last_side=side,
            last_at=last_at,
            unread=unread,
        )
        for booking_id, reference, starts_at, service, customer, body, moderation, side, last_at, unread in (
            db.session.execute(query)
        )
    ]
    return rows[:size], len(rows) > size
