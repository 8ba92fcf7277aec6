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

``reserve`` runs all four (checkout, the desk). A move checks its new time first and writes it
later (a dearer time waits for its top-up in between), so it runs the halves: ``free_slot``
(1-3) and ``write_or_refuse`` (4). So does a waitlist offer's, which asks the engine for a
whole day at once and tries each free team member in turn (app/waitlist/offers.py).

Every refusal is ``SlotUnavailable``, worded by the caller (``Wording``): a checkout names the
cart item, the desk speaks to its staff, a move names the new time. The words are asked for
only when a refusal happens, so a reservation that succeeds formats nothing under the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy.exc import IntegrityError

from app.booking.availability import busy_window, find_slot, get_busy, service_spec
from app.booking.errors import SlotUnavailable, is_member_overlap
from app.booking.holds import blocks_until
from app.booking.models import Booking
from app.booking.order_lifecycle import expire_holds
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Slot
from app.venues.models import Service, ServiceOption

T = TypeVar("T")

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
    option: ServiceOption | None = None,
) -> T:
    """Reserve ``quantity`` places of ``service`` at ``starts_at`` (the caller holds the
    service's row lock): the engine's free slot and who takes it (``free_slot``), then
    ``write(slot, people)`` in a savepoint (``write_or_refuse``); returns what ``write``
    returned. ``write`` adds the bookings (``hold_booking``), one per person in ``people``
    (``[None]``: one for the group); it is flushed before the savepoint ends. Raises
    SlotUnavailable worded by ``refusal``, leaving nothing written. ``option``: the service's
    option booked (the slot is as long as it; None: the service's own length)."""
    slot, people = free_slot(
        service,
        starts_at,
        now=now,
        refusal=refusal,
        quantity=quantity,
        team_member_id=team_member_id,
        expire_for=expire_for,
        option=option,
    )
    with write_or_refuse(refusal):
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
    option: ServiceOption | None = None,
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
    slot = _engine_slot(service, starts_at, now=now, expire_for=expire_for, moving=moving, option=option)
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
def write_or_refuse(refusal: Wording | None = None, *, also: str | None = None) -> Iterator[None]:
    """Write what the block adds or changes in a savepoint, flushed before it ends. If the
    team-member exclusion constraint refuses it (or the constraint named ``also``), the
    savepoint is rolled back, the transaction stays usable, and SlotUnavailable is raised,
    worded by ``refusal("just_taken")`` (no words when the caller tries another time or team
    member instead of telling anyone). Any other database error is raised as it is."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError as exc:
        if is_member_overlap(exc) or (also is not None and also in str(exc.orig)):
            raise SlotUnavailable(refusal("just_taken") if refusal else "") from None
        raise


def _engine_slot(
    service: Service,
    starts_at: datetime,
    *,
    now: datetime,
    expire_for: Sequence[int] | None,
    moving: Booking | None,
    option: ServiceOption | None = None,
) -> Slot | None:
    """Steps 1 and 2: holds that ran out stop counting, then the slot engine's slot at ``starts_at``
    (as long as ``option`` when given)."""
    if moving is None:
        if expire_for is not None:
            minutes = (option or service).duration_minutes
            meets = (starts_at, blocks_until(starts_at + timedelta(minutes=minutes), service))
            expire_holds(now, service_ids=[service.id], member_ids=list(expire_for), between=meets)
        return find_slot(service, starts_at, now=now, option=option)
    # A move reads the day as the engine does, with every live booking but its own counted.
    spec = service_spec(service)
    window = busy_window(starts_at.astimezone(venue_zone(service.venue)).date())
    expire_holds(now, service_ids=[service.id], member_ids=sorted(spec.team_member_ids), between=window)
    busy = get_busy(service.venue_id, spec, *window, excluding_booking_id=moving.id)
    return find_slot(service, starts_at, now=now, busy=busy)
