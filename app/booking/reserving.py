"""Reserving a time: the one sequence that keeps a slot for someone.

Checkout, the front desk, waitlist offers, moves and their top-ups all take a time the same way.
The caller holds the row lock on the service (checkouts, desk bookings, offers and moves of
one service take turns there, and the second sees the first's booking); then

1. holds that ran out and stand in the way stop counting (``expire_holds``);
2. the slot engine is asked again, inside this transaction, for the slot at that time: too few
   places left, or a chosen team member who isn't free then, refuses;
3. who takes it: the chosen team member, else the first free ones (one a place), else nobody
   (a service without a team);
4. the booking is written in a savepoint, and the team-member exclusion constraint, the last
   line of defence (a team member booked meanwhile through another service, which the
   service's lock doesn't cover), refuses too, leaving the transaction usable.

Rooms and equipment (issue 44, item 4): a service that needs some locks the venue's needed
resources rows (in id order, after the service's lock, so two services sharing a room take
turns: ``lock_resources``), the engine counts each unit's bookings (step 2), and in step 4 every
booking the block adds takes the lowest free unit numbers of each resource it needs
(``booking_resources`` rows, ``take_units``); a moved booking (``write_or_refuse(moves=...)``)
lets its units go and takes them again at its new time. The exclusion constraint
``ex_booking_resources_unit_overlap`` refuses a unit in two live bookings at once, like the
team member's: the last line of defence, the same refusal.

``reserve`` runs all four (checkout, the desk). A move checks its new time first and writes it
later (a dearer time waits for its top-up in between), so it runs the halves: ``free_slot``
(1-3) and ``write_or_refuse`` (4). So does a waitlist offer's, which asks the engine for a
whole day at once and tries each free team member in turn (app/waitlist/offers.py).

Every refusal is ``SlotUnavailable``, worded by the caller (``Wording``): a checkout names the
cart item, the desk speaks to its staff, a move names the new time. The words are asked for
only when a refusal happens, so a reservation that succeeds formats nothing under the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from psycopg.errors import DeadlockDetected
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.booking.availability import busy_window, find_slot, get_busy, service_spec
from app.booking.errors import SlotUnavailable, is_member_overlap
from app.booking.holds import blocks_until
from app.booking.models import LIVE_STATUSES, Booking, BookingResource, BookingStatus
from app.booking.order_lifecycle import expire_holds
from app.platform import held_locks
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Slot
from app.venues.addons import Choice
from app.venues.models import Resource, Service, ServiceResource

T = TypeVar("T")

# The exclusion constraint that keeps a unit of a room or equipment out of two live bookings at
# once (migration 0072).
UNIT_OVERLAP_CONSTRAINT = "ex_booking_resources_unit_overlap"

# Why a time can't be reserved: too few places left, or no slot starts then ("taken"); the
# chosen team member isn't free then ("member_busy"); the database refused the write
# ("just_taken": the team-member exclusion constraint, or the caller's ``also``).
Refusal = Literal["taken", "member_busy", "just_taken"]
Wording = Callable[[Refusal], str]


def reserve(
    service: Service,
    starts_at: datetime,
    write: Callable[[Slot, list[int | None]], T],
    *,
    now: datetime,
    refusal: Wording,
    quantity: int = 1,
    team_member_id: int | None = None,
    expire_for: Sequence[int] | None = None,
    choice: Choice | None = None,
    on_step: bool = True,
) -> T:
    """Reserve ``quantity`` places of ``service`` at ``starts_at`` (the caller holds the
    service's row lock): the engine's free slot and who takes it (``free_slot``), then
    ``write(slot, people)`` in a savepoint (``write_or_refuse``); returns what ``write``
    returned. ``write`` adds the bookings (``hold_booking``), one per person in ``people``
    (``[None]``: one for the group); it is flushed before the savepoint ends. Raises
    SlotUnavailable worded by ``refusal``, leaving nothing written. ``choice``: what is booked of
    the service (the slot is as long as its option and add-ons; None: the service's own length)."""
    slot, people = free_slot(
        service,
        starts_at,
        now=now,
        refusal=refusal,
        quantity=quantity,
        team_member_id=team_member_id,
        expire_for=expire_for,
        choice=choice,
        on_step=on_step,
    )
    with write_or_refuse(refusal, now=now):
        return write(slot, people)


def free_slot(
    service: Service,
    starts_at: datetime,
    *,
    now: datetime,
    refusal: Wording,
    quantity: int = 1,
    team_member_id: int | None = None,
    expire_for: Sequence[int] | None = None,
    moving: Booking | None = None,
    choice: Choice | None = None,
    on_step: bool = True,
) -> tuple[Slot, list[int | None]]:
    """The engine's slot of ``service`` at ``starts_at`` with ``quantity`` places free, and
    who takes it: ``team_member_id`` when chosen (refused unless free then), else the first
    ``quantity`` free team members (refused when fewer are free), else ``[None]`` (a service
    without a team). Raises SlotUnavailable worded by ``refusal``; writes nothing but the
    release of holds that ran out.

    ``expire_for``: team members whose holds that ran out and meet this time are let go first,
    with the service's own (None: the caller let them go, for every time it reserves).

    ``moving``: the booking a move takes there (``quantity`` its own). It is left out of the
    count, keeps its quantity on one team member (its own when free, else the first free one)
    and lets go first the holds that ran out on that day, the service's and its team's."""
    lock_resources([service.id])  # after the service's lock: the engine then reads settled units
    slot = _engine_slot(
        service, starts_at, now=now, expire_for=expire_for, moving=moving, choice=choice, on_step=on_step
    )
    if slot is None or slot.remaining < quantity:
        raise SlotUnavailable(refusal("taken"))
    free = slot.team_member_ids
    if team_member_id is not None:
        if team_member_id not in free:
            raise SlotUnavailable(refusal("member_busy"))
        return slot, [team_member_id]
    if not free:
        return slot, [None]
    if moving is not None:
        return slot, [moving.team_member_id if moving.team_member_id in free else free[0]]
    if len(free) < quantity:
        raise SlotUnavailable(refusal("taken"))
    return slot, list(free[:quantity])


@contextmanager
def write_or_refuse(
    refusal: Wording | None = None,
    *,
    also: str | None = None,
    moves: Sequence[Booking] = (),
    now: datetime | None = None,
) -> Iterator[None]:
    """Write what the block adds or changes in a savepoint, flushed before it ends. Every
    booking the block adds takes the units of rooms and equipment its service needs
    (``take_units``); ``moves``, bookings the block gives a new time (one, or a whole visit), let
    their units go first and take them again there. If the team-member or unit exclusion constraint refuses it (or
    the constraint named ``also``), or too few units are free, the savepoint is rolled back, the
    transaction stays usable, and SlotUnavailable is raised, worded by ``refusal("just_taken")``
    (no words when the caller tries another time or team member instead of telling anyone).
    A deadlock PostgreSQL breaks between two such writers is a refusal too. Any other database
    error is raised as it is. ``now``: when holds run out (the clock's)."""
    added: list[Booking] = []
    token = _added.set(added)
    try:
        with db.session.begin_nested():
            if moves:
                moved_ids = [b.id for b in moves]
                db.session.execute(delete(BookingResource).where(BookingResource.booking_id.in_(moved_ids)))
            try:
                yield
                db.session.flush()
            finally:
                _added.reset(token)
            if not take_units([*added, *moves], now=now or datetime.now(UTC)):
                raise _NoUnits
            db.session.flush()
    except _NoUnits:
        raise SlotUnavailable(refusal("just_taken") if refusal else "") from None
    except OperationalError as exc:
        # Two writers that each added a row the other's overlaps (two team members booked in
        # opposite orders, through services whose locks don't cover each other): PostgreSQL
        # breaks the wait by refusing one. Its savepoint is gone; the other goes on and wins.
        if isinstance(exc.orig, DeadlockDetected):
            raise SlotUnavailable(refusal("just_taken") if refusal else "") from None
        raise
    except IntegrityError as exc:
        if (
            is_member_overlap(exc)
            or UNIT_OVERLAP_CONSTRAINT in str(exc.orig)
            or (also is not None and also in str(exc.orig))
        ):
            raise SlotUnavailable(refusal("just_taken") if refusal else "") from None
        raise


class _NoUnits(Exception):
    """Too few units free for a booking: rolls the savepoint back, then read as a refusal."""


# The bookings the innermost ``write_or_refuse`` block made persistent (None: outside one).
_added: ContextVar[list[Booking] | None] = ContextVar("reserving_added", default=None)


@event.listens_for(Session, "pending_to_persistent")
def _note_added(_session: Session, instance: Any) -> None:
    added = _added.get()
    if added is not None and isinstance(instance, Booking):
        added.append(instance)


Need = tuple[int, int, int, int, bool]  # what a service needs of a resource (lock_resources)


def lock_resources(service_ids: Collection[int]) -> list[Need]:
    """Lock the rows of the rooms and equipment these services need, in id order (two services
    sharing a room take turns; the caller holds the services' locks first). Returns what they
    need: (service id, resource id, units per booking, quantity, shared by a sitting), by resource."""
    wanted = sorted(set(service_ids))
    locked = held_locks.held("resources")  # by service: checkout locks its cart's, then asks per item
    if all(service_id in locked for service_id in wanted):
        return sorted((need for s in wanted for need in locked[s]), key=lambda need: (need[1], need[0]))
    query = (
        select(
            ServiceResource.service_id, Resource.id, ServiceResource.units, Resource.quantity, ServiceResource.shared
        )
        .join(Resource, Resource.id == ServiceResource.resource_id)
        .where(ServiceResource.service_id.in_(wanted))
        .order_by(Resource.id, ServiceResource.service_id)
        .with_for_update(of=Resource)
    )
    rows: list[Need] = [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]
    held_locks.keep("resources", {s: [need for need in rows if need[0] == s] for s in wanted})
    return rows


def take_units(bookings: Sequence[Booking], *, now: datetime) -> bool:
    """Each live booking of ``bookings`` takes the lowest free unit numbers of each resource its
    service needs, for its whole time (``booking_resources`` rows, following it from then on).
    Holds that ran out in the way are let go first. False when a booking finds too few free
    (nothing added); the caller refuses. One statement when no booking's service needs any."""
    live = [b for b in bookings if b.status in LIVE_STATUSES]
    if not live:
        return True
    needs = lock_resources({b.service_id for b in live})
    if not needs:
        return True
    resource_ids = sorted({resource_id for _, resource_id, _, _, _ in needs})
    start = min(b.starts_at for b in live)
    until = max(b.blocks_until for b in live)
    taken = _taken_units(resource_ids, start, until, now=now)
    if any(expired for *_, expired in taken):  # holds that ran out stand in the way: let them go
        expire_holds(now, service_ids=sorted({s for *_, s, expired in taken if expired}), between=(start, until))
        taken = _taken_units(resource_ids, start, until, now=now)
    rows: list[BookingResource] = []
    # A sitting: the bookings of this block of one service at one time (guests side by side). A
    # room the service shares is taken by its first booking; the others' rows share its units.
    sittings: dict[tuple[int, datetime], Booking] = {}
    for booking in live:
        first = sittings.setdefault((booking.service_id, booking.starts_at), booking)
        key = booking.moves_booking_id or booking.id
        for service_id, resource_id, units, quantity, shared in needs:
            if service_id != booking.service_id:
                continue
            if shared and first is not booking:
                free = [row.unit for row in rows if row.booking_id == first.id and row.resource_id == resource_id]
            else:
                busy = {
                    unit
                    for r, unit, owner, starts, ends, _, _ in taken
                    if r == resource_id and owner != key and starts < booking.blocks_until and ends > booking.starts_at
                }
                free = [unit for unit in range(1, quantity + 1) if unit not in busy][:units]
                if len(free) < units:
                    return False
            for unit in free:
                row = BookingResource(
                    booking_id=booking.id,
                    resource_id=resource_id,
                    unit=unit,
                    starts_at=booking.starts_at,
                    blocks_until=booking.blocks_until,
                    moves_booking_id=booking.moves_booking_id,
                    shares_booking_id=first.id if shared else None,
                    live=True,
                )
                rows.append(row)
                taken.append(
                    (resource_id, unit, key, booking.starts_at, booking.blocks_until, booking.service_id, False)
                )
    db.session.add_all(rows)
    return True


def _taken_units(
    resource_ids: list[int], start: datetime, until: datetime, *, now: datetime
) -> list[tuple[int, int, int, datetime, datetime, int, bool]]:
    """The live units of these resources meeting [start, until): (resource id, unit, owner (the
    booking, or the one a move's hold moves), starts, ends, its service, whether its hold ran out)."""
    rows = db.session.execute(
        select(
            BookingResource.resource_id,
            BookingResource.unit,
            func.coalesce(
                BookingResource.shares_booking_id, BookingResource.moves_booking_id, BookingResource.booking_id
            ),
            BookingResource.starts_at,
            BookingResource.blocks_until,
            Booking.service_id,
            (Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at <= now),
        )
        .join(Booking, Booking.id == BookingResource.booking_id)
        .where(
            BookingResource.live,
            BookingResource.resource_id.in_(resource_ids),
            BookingResource.starts_at < until,
            BookingResource.blocks_until > start,
        )
    )
    return [
        (r, unit, owner, starts, ends, service_id, bool(expired))
        for r, unit, owner, starts, ends, service_id, expired in rows
    ]


def _engine_slot(
    service: Service,
    starts_at: datetime,
    *,
    now: datetime,
    expire_for: Sequence[int] | None,
    moving: Booking | None,
    choice: Choice | None = None,
    on_step: bool = True,
) -> Slot | None:
    """Steps 1 and 2: holds that ran out stop counting, then the slot engine's slot at ``starts_at``
    (as long as ``choice`` when given)."""
    if moving is None:
        if expire_for is not None:
            minutes = (choice or Choice()).minutes(service)
            meets = (starts_at, blocks_until(starts_at + timedelta(minutes=minutes), service))
            expire_holds(now, service_ids=[service.id], member_ids=list(expire_for), between=meets)
        return find_slot(service, starts_at, now=now, choice=choice, on_step=on_step)
    # A move reads the day as the engine does, with every live booking but its own counted.
    spec = service_spec(service, choice=choice)
    window = busy_window(starts_at.astimezone(venue_zone(service.venue)).date())
    expire_holds(now, service_ids=[service.id], member_ids=sorted(spec.team_member_ids), between=window)
    busy = get_busy(service.venue_id, spec, *window, excluding_booking_id=moving.id)
    return find_slot(service, starts_at, now=now, busy=busy, choice=choice, on_step=on_step)
