"""Joining, leaving and reading the waitlist (the offers themselves: app/waitlist/offers.py).

A customer joins for one service on one venue-local day, optionally within a window of that
day ("between 14:00 and 17:00": the appointment must fit inside it) and with one team member.
Joining is refused while a time that fits is free (book it instead), twice for the same
service and day, and past MAX_LIVE_ENTRIES. Their place in line is (created_at, id) among the
live entries of that service and day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TypeVar

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.orm import aliased, selectinload
from werkzeug.exceptions import NotFound

from app.accounts.models import User
from app.booking.availability import get_slots
from app.platform.errors import InvalidTransition, LimitReached, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import savepoint_or_refuse
from app.platform.timefmt import venue_zone
from app.slot_engine import Slot
from app.venues.models import Service, TeamMember, VenueStatus
from app.waitlist.models import LIVE_ENTRY_STATUSES, EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer

Owned = TypeVar("Owned", WaitlistEntry, WaitlistOffer)

MAX_LIVE_ENTRIES = 20  # live entries per customer: enough for anyone, too few to hoard a venue


@dataclass(frozen=True)
class Window:
    """Minutes after local midnight: the appointment starts at or after ``start`` and ends by ``end``."""

    start: int
    end: int


def local_minutes(moment: datetime, day: date, zone) -> int:
    """Minutes from ``day``'s local midnight to ``moment`` (past 1440 when it is the next day)."""
    local = moment.astimezone(zone)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


def fits(entry: WaitlistEntry, slot: Slot, zone) -> bool:
    """Does ``slot`` (a free time of the entry's service on its day) suit the entry?"""
    if entry.team_member_id is not None and entry.team_member_id not in slot.team_member_ids:
        return False
    if entry.window_start_minute is None or entry.window_end_minute is None:
        return True
    return (
        local_minutes(slot.start, entry.day, zone) >= entry.window_start_minute
        and local_minutes(slot.end, entry.day, zone) <= entry.window_end_minute
    )


def get_joinable_service(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or not service.is_active or service.venue.status != VenueStatus.APPROVED:
        raise NotFound(_("That service can't be booked."))
    return service


def performers(service: Service) -> list[TeamMember]:
    """The venue's team members who perform ``service``, in the venue's order."""
    return [m for m in service.venue.team if service in m.services]


def join(
    customer: User,
    *,
    service: Service,
    day: date,
    window: Window | None,
    team_member_id: int | None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put ``customer`` in line for ``service`` on ``day``, or raise saying why not."""
    now = now or datetime.now(UTC)
    if not customer.is_verified:
        raise ValidationFailed(_("Confirm your email address before joining a waitlist; we sent you a link."))
    zone = venue_zone(service.venue.timezone)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"])).astimezone(zone).date()
    if day < today:
        raise ValidationFailed(_("That day has passed. Choose today or a later day."), field="day")
    if day > last_day:
        raise ValidationFailed(
            _(
                "Bookings open up to %(booking_max_advance_days)s days ahead.",
                booking_max_advance_days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"],
            ),
            field="day",
        )
    if window is not None:
        if not 0 <= window.start < window.end <= 1440:
            raise ValidationFailed(_("The window must end after it starts."), field="window_end")
        if window.end - window.start < service.duration_minutes:
            raise ValidationFailed(
                _(
                    "The window is shorter than the service (%(duration_minutes)s min). Widen it or leave it empty.",
                    duration_minutes=service.duration_minutes,
                ),
                field="window_end",
            )
    if team_member_id is not None and team_member_id not in {m.id for m in performers(service)}:
        raise ValidationFailed(_("That team member doesn't perform this service."), field="team_member_id")
    live = select(func.count()).where(
        WaitlistEntry.customer_id == customer.id, WaitlistEntry.status.in_(list(LIVE_ENTRY_STATUSES))
    )
    if (db.session.scalar(live) or 0) >= MAX_LIVE_ENTRIES:
        raise LimitReached(
            _(
                "You can wait for at most %(max_live_entries)s days at once. Leave one first.",
                max_live_entries=MAX_LIVE_ENTRIES,
            )
        )
    entry = WaitlistEntry(
        customer_id=customer.id,
        venue_id=service.venue_id,
        service_id=service.id,
        day=day,
        window_start_minute=window.start if window else None,
        window_end_minute=window.end if window else None,
        team_member_id=team_member_id,
        status=EntryStatus.WAITING,
    )
    if any(fits(entry, slot, zone) for slot in get_slots(service, day, now=now)):
        raise InvalidTransition(
            _("A time that suits you is free now: book it instead, or narrow the window or choose a team member.")
        )
    # The unique index is the last word on duplicates.
    with savepoint_or_refuse(
        InvalidTransition(_("You're already on the waitlist for this service on that day.")),
        constraint="uq_waitlist_entries_live",
    ):
        db.session.add(entry)
    return entry


def _own_row(model: type[Owned], row_id: int, customer: User, missing: str) -> Owned:
    """The customer's own row; anyone else's is indistinguishable from a missing one (404)."""
    row = db.session.get(model, row_id)
    if row is None or row.customer_id != customer.id:
        raise NotFound(missing)
    return row


def get_own_entry(entry_id: int, customer: User) -> WaitlistEntry:
    return _own_row(WaitlistEntry, entry_id, customer, _("No such waitlist entry."))


def get_own_offer(offer_id: int, customer: User) -> WaitlistOffer:
    return _own_row(WaitlistOffer, offer_id, customer, _("No such offer."))


def position_query(entry_table):
    """How many live entries of the same line come before ``entry_table``'s row, plus one."""
    other = aliased(WaitlistEntry)
    return (
        select(func.count())
        .where(
            other.service_id == entry_table.service_id,
            other.day == entry_table.day,
            other.status.in_(list(LIVE_ENTRY_STATUSES)),
            tuple_(other.created_at, other.id) <= tuple_(entry_table.created_at, entry_table.id),
        )
        .scalar_subquery()
    )


def get_position(entry: WaitlistEntry) -> int | None:
    """1 for the first in line; None once the entry is no longer waiting."""
    if entry.status not in LIVE_ENTRY_STATUSES:
        return None
    return db.session.scalar(select(position_query(WaitlistEntry)).where(WaitlistEntry.id == entry.id))


def find_my_entries(customer_id: int, *, now: datetime | None = None) -> list[tuple[WaitlistEntry, int | None]]:
    """The customer's entries (live first, then the last 20 ended), each with its place in line."""
    now = now or datetime.now(UTC)
    live = WaitlistEntry.status.in_(list(LIVE_ENTRY_STATUSES))
    query = (
        select(WaitlistEntry, position_query(WaitlistEntry))
        .where(WaitlistEntry.customer_id == customer_id, WaitlistEntry.day >= (now - timedelta(days=30)).date())
        .options(
            selectinload(WaitlistEntry.service),
            selectinload(WaitlistEntry.venue),
            selectinload(WaitlistEntry.team_member),
        )
        .order_by(live.desc(), WaitlistEntry.day, WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(MAX_LIVE_ENTRIES + 20)
    )
    return [
        (entry, position if entry.status in LIVE_ENTRY_STATUSES else None)
        for entry, position in db.session.execute(query)
    ]


@cache
def open_offers_query() -> Select:
    """The customer's offers still open at a moment, soonest to end first (``customer_id`` and
    ``now`` bound at each call). Built once: My bookings asks on every visit, and building the
    statement with its loader options costs about as much as running it."""
    return (
        select(WaitlistOffer)
        .where(
            WaitlistOffer.customer_id == bindparam("customer_id"),
            WaitlistOffer.status == OfferStatus.OPEN,
            WaitlistOffer.expires_at > bindparam("now"),
        )
        .options(
            selectinload(WaitlistOffer.service).selectinload(Service.venue),
            selectinload(WaitlistOffer.team_member),
        )
        .order_by(WaitlistOffer.expires_at)
    )


def find_open_offers(customer_id: int, *, now: datetime | None = None) -> list[WaitlistOffer]:
    """The customer's offers still open now, soonest to end first."""
    values = {"customer_id": customer_id, "now": now or datetime.now(UTC)}
    return list(db.session.scalars(open_offers_query(), values))


def count_waiting(venue_id: int, first_day: date, last_day: date) -> dict[date, int]:
    """Live entries per day at the venue (the provider's calendar shows it)."""
    rows = db.session.execute(
        select(WaitlistEntry.day, func.count())
        .where(
            WaitlistEntry.venue_id == venue_id,
            WaitlistEntry.day.between(first_day, last_day),
            WaitlistEntry.status.in_(list(LIVE_ENTRY_STATUSES)),
        )
        .group_by(WaitlistEntry.day)
    )
    return {row[0]: row[1] for row in rows}
