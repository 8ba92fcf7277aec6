"""Offering reopened times to the waitlist, first come first offered, one offer per time.

When times reopen (``times_reopened``: a cancellation, a released or expired hold, a
reschedule) or new hours open (``times_opened``), a receiver enqueues ``match_day_job`` for
each venue-local day that has people waiting; it never offers anything itself. The job runs
``match_day`` after the releasing transaction committed:

- it takes a transaction-level advisory lock for the venue and day, so two workers handling
  the same freed time (or two times of the same day) take turns: the second sees the first's
  offer and the time held;
- it settles offers whose hold ended by another path, and lapses the ones past their time;
- it walks the day's waiting entries in line order (created_at, id) and gives each the
  earliest free time that fits it and that it was not offered before; the slot engine is
  asked again after each offer, so an offered time is never offered twice.

An offer HOLDS its time: it is an ordinary held order with one held booking (the customer's,
for ``WAITLIST_OFFER_MINUTES``), made under the same service row lock checkout takes. So the
slot engine, checkout's capacity check and the team member exclusion constraint all see it,
and a partial unique index on open offers (service, start, team member) is the database's
own "one offer per freed time". Accepting keeps the hold and extends it to checkout's
HOLD_MINUTES (the order page takes the payment); "No thanks", leaving and lapsing release it
(``times_reopened`` fires as for any release) and the next person in line gets the offer in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select, text

from app.accounts.models import User
from app.booking import intake, order_lifecycle
from app.booking.amounts import amount_due
from app.booking.availability import get_slots
from app.booking.errors import SlotUnavailable
from app.booking.events import ReopenedTime, times_reopened
from app.booking.holds import hold_booking
from app.booking.models import BookingStatus, Order, OrderStatus, ReleaseReason
from app.booking.patch_test_rule import check_patch_test
from app.booking.reserving import write_or_refuse
from app.payments import service as payments
from app.platform.errors import InvalidTransition
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.platform.timefmt import venue_zone
from app.slot_engine import Slot
from app.venues.events import times_opened
from app.venues.models import Service, Venue, VenueStatus
from app.waitlist.events import offer_made
from app.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from app.waitlist.service import fits, get_own_entry, get_own_offer

PAID = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)


def lock_line(venue_id: int, day: date) -> None:
    """Serialise everything that offers, answers or leaves on one venue's day (until commit)."""
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"waitlist:{venue_id}:{day.isoformat()}"},
    )


# -- matching ------------------------------------------------------------------------------------


def match_day(venue_id: int, day: date, *, now: datetime | None = None) -> list[WaitlistOffer]:
    """Offer the day's free times to its waiting entries, in line order; returns new offers."""
    now = now or datetime.now(UTC)
    lock_line(venue_id, day)
    settle_offers(venue_id, day, now=now)
    entries = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.venue_id == venue_id,
                WaitlistEntry.day == day,
                WaitlistEntry.status == EntryStatus.WAITING,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not entries:
        return []
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        return []
    zone = venue_zone(venue.timezone)
    # The service rows, locked in id order as checkout locks them: a checkout of the same
    # service waits for the offers (and sees their holds), or the offers wait for it.
    services = {
        s.id: s
        for s in db.session.scalars(
            select(Service)
            .where(Service.id.in_(sorted({e.service_id for e in entries})))
            .order_by(Service.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    # Holds past their expiry stop counting now (their release enqueues another match, harmless).
    order_lifecycle.expire_holds(now, service_ids=sorted(services), member_ids=[m.id for m in venue.team])
    made: list[WaitlistOffer] = []
    slots_of: dict[int, list[Slot]] = {}
    for entry in entries:
        service = services.get(entry.service_id)
        if service is None or not service.is_active:
            continue
        if service.id not in slots_of:
            slots_of[service.id] = get_slots(service, day, now=now)
        offer = _offer_first_fit(entry, service, slots_of[service.id], zone, now)
        if offer is not None:
            made.append(offer)
            del slots_of[service.id]  # the engine sees the new hold: ask it again
    return made


def _offered_before(entry: WaitlistEntry) -> set[datetime]:
    """Starts this entry was offered already (it said no, or let them lapse): not again."""
    return set(db.session.scalars(select(WaitlistOffer.starts_at).where(WaitlistOffer.entry_id == entry.id)))


def _open_times(service_id: int) -> set[tuple[datetime, int | None]]:
    return {
        (starts_at, member_id)
        for starts_at, member_id in db.session.execute(
            select(WaitlistOffer.starts_at, WaitlistOffer.team_member_id).where(
                WaitlistOffer.service_id == service_id, WaitlistOffer.status == OfferStatus.OPEN
            )
        )
    }


def _offer_first_fit(
    entry: WaitlistEntry, service: Service, slots: list[Slot], zone, now: datetime
) -> WaitlistOffer | None:
    tried = _offered_before(entry)
    open_now = _open_times(service.id)
    for slot in slots:
        if slot.start in tried or not fits(entry, slot, zone):
            continue
        if entry.team_member_id is not None:
            candidates: list[int | None] = [entry.team_member_id]
        elif slot.team_member_ids:
            candidates = list(slot.team_member_ids)
        else:
            candidates = [None]
        for member_id in candidates:
            if (slot.start, member_id) in open_now:
                continue  # one open offer per time (a place-based service offers one place at a time)
            offer = make_offer(entry, service, slot, member_id, now=now)
            if offer is not None:
                return offer
    return None


def make_offer(
    entry: WaitlistEntry, service: Service, slot: Slot, member_id: int | None, *, now: datetime
) -> WaitlistOffer | None:
    """Hold ``slot`` for ``entry`` (a held order) and tell its customer; None if the database
    refused (the team member was just booked elsewhere, or the time already has an open offer)."""
    expires = now + timedelta(minutes=current_app.config["WAITLIST_OFFER_MINUTES"])
    customer = db.session.get(User, entry.customer_id)
    try:
        # The slot engine gave this time under the service's lock (match_day); the database has
        # the last word (app/booking/reserving.py): the team member booked elsewhere meanwhile,
        # or the time's one open offer (the unique index on open offers).
        # ... and the rooms and equipment the service needs, taken when the hold is written.
        with write_or_refuse(also="uq_waitlist_offers_open", now=now):
            order = order_lifecycle.hold(customer, currency=service.currency, hold_until=expires)
            order.cart_snapshot = []  # it came from no cart: a release puts nothing back
            held = {  # the offer is for the time its booking holds
                "order_id": order.id,
                "customer_id": customer.id,
                "team_member_id": member_id,
                "starts_at": slot.start,
                "ends_at": slot.end,
            }
            booking = hold_booking(service, **held, hold_until=expires)
            db.session.add(booking)
            db.session.flush()
            db.session.refresh(order, ["bookings"])
            order.total_minor = amount_due(order).total_minor
            offer = WaitlistOffer(
                entry_id=entry.id, service_id=service.id, **held, expires_at=expires, status=OfferStatus.OPEN
            )
            db.session.add(offer)
            entry.status = EntryStatus.OFFERED
    except SlotUnavailable:
        db.session.refresh(entry)
        return None
    offer_made.send("waitlist", offer=offer, customer=customer)  # the customer is told (notifications)
    return offer


# -- the end of an offer ---------------------------------------------------------------------


def _close(offer: WaitlistOffer, status: OfferStatus, entry_status: EntryStatus, now: datetime) -> None:
    offer.status = status
    offer.closed_at = now
    entry = offer.entry
    if entry.status in (EntryStatus.WAITING, EntryStatus.OFFERED):
        entry.status = entry_status
        if entry_status != EntryStatus.WAITING:
            entry.ended_at = now


def settle_offers(venue_id: int, day: date, *, now: datetime) -> int:
    """Close the day's open offers that have ended: past their time (the hold is released)
    or settled another way (the order was paid from the order page, or released by a
    checkout meeting the expired hold). Returns how many closed. Under ``lock_line``."""
    offers = list(
        db.session.scalars(
            select(WaitlistOffer)
            .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
            .where(
                WaitlistEntry.venue_id == venue_id,
                WaitlistEntry.day == day,
                WaitlistOffer.status == OfferStatus.OPEN,
            )
            .order_by(WaitlistOffer.id)
            .with_for_update(of=WaitlistOffer)
        )
    )
    closed = 0
    for offer in offers:
        order = order_lifecycle.lock_order(offer.order_id)
        if order.status in PAID:
            _close(offer, OfferStatus.ACCEPTED, EntryStatus.BOOKED, now)
        elif order.status != OrderStatus.PENDING_PAYMENT:
            _close(offer, OfferStatus.LAPSED, EntryStatus.WAITING, now)
        elif offer.expires_at <= now:
            _close(offer, OfferStatus.LAPSED, EntryStatus.WAITING, now)
            order_lifecycle.release_order(order, ReleaseReason.EXPIRED, now=now)
        else:
            continue
        closed += 1
    return closed


def _locked_open_offer(offer_id: int, customer: User, now: datetime) -> tuple[WaitlistOffer, Order]:
    offer = get_own_offer(offer_id, customer)  # someone else's offer is indistinguishable from none
    lock_line(offer.entry.venue_id, offer.entry.day)
    offer = db.session.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.id == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    order = order_lifecycle.lock_order(offer.order_id)
    if offer.status != OfferStatus.OPEN:
        raise InvalidTransition(_("This offer has ended."))
    if order.status == OrderStatus.PENDING_PAYMENT and offer.expires_at <= now:
        raise InvalidTransition(_("Sorry, this offer ran out; the time went to the next person in line."))
    return offer, order


def accept(
    offer_id: int, customer: User, *, answers: Mapping[str, str] | None = None, now: datetime | None = None
) -> Order:
    """ "Book it": the offer's held order is the customer's checkout; its hold is extended to
    checkout's HOLD_MINUTES so the payment has the time it needs. Returns the order to pay.

    The cart's checks still apply (the offer skipped the cart): the service's required intake
    questions are answered with ``answers`` (the form's fields) or carried from the customer's
    earlier booking of the same service, and its patch-test rule is met; else CartItemInvalid
    (422) and nothing changes (the offer stays open)."""
    now = now or datetime.now(UTC)
    offer, order = _locked_open_offer(offer_id, customer, now)
    if order.status in PAID:  # already paid from the order page
        _close(offer, OfferStatus.ACCEPTED, EntryStatus.BOOKED, now)
        return order
    if order.status != OrderStatus.PENDING_PAYMENT:
        _close(offer, OfferStatus.LAPSED, EntryStatus.WAITING, now)
        raise InvalidTransition(_("Sorry, this time is no longer held for you."))
    held = [b for b in order.bookings if b.status == BookingStatus.HELD]
    intake_answers = intake.answers_for_offer(customer.id, offer.service, answers)
    for booking in held:
        check_patch_test(offer.service, booking.starts_at, customer_id=customer.id, cart=())
    intake.copy_answers(held, intake_answers)
    hold_until = max(order.hold_expires_at, now + timedelta(minutes=current_app.config["HOLD_MINUTES"]))
    order.hold_expires_at = hold_until
    for booking in order.bookings:
        if booking.status == BookingStatus.HELD:
            booking.hold_expires_at = hold_until
    _close(offer, OfferStatus.ACCEPTED, EntryStatus.BOOKED, now)
    return order


def decline(offer_id: int, customer: User, *, now: datetime | None = None) -> None:
    """ "No thanks": the time goes to the next person; the customer stays in line for others."""
    now = now or datetime.now(UTC)
    offer, order = _locked_open_offer(offer_id, customer, now)
    _let_go(offer, order, customer, EntryStatus.WAITING, now)


def leave(entry_id: int, customer: User, *, now: datetime | None = None) -> bool:
    """Leave the waitlist (an open offer is declined first). False if the entry had ended."""
    now = now or datetime.now(UTC)
    entry = get_own_entry(entry_id, customer)
    lock_line(entry.venue_id, entry.day)
    db.session.refresh(entry, with_for_update=True)
    if entry.status not in (EntryStatus.WAITING, EntryStatus.OFFERED):
        return False
    open_offer = db.session.scalar(
        select(WaitlistOffer)
        .where(WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OfferStatus.OPEN)
        .with_for_update()
    )
    if open_offer is not None:
        _let_go(open_offer, order_lifecycle.lock_order(open_offer.order_id), customer, EntryStatus.LEFT, now)
    entry.status = EntryStatus.LEFT
    entry.ended_at = now
    return True


def _let_go(offer: WaitlistOffer, order: Order, customer: User, entry_status: EntryStatus, now: datetime) -> None:
    _close(offer, OfferStatus.DECLINED, entry_status, now)
    if order.status == OrderStatus.PENDING_PAYMENT:
        payments.release_for_change(order, customer=customer)  # fires times_reopened, like any release
    db.session.flush()
    match_day(offer.entry.venue_id, offer.entry.day, now=now)  # the next in line, at once


# -- listening: enqueue, never act ---------------------------------------------------------------


def _days_with_waiting(venue_id: int, days: list[date] | None) -> list[date]:
    query = select(WaitlistEntry.day).where(
        WaitlistEntry.venue_id == venue_id, WaitlistEntry.status == EntryStatus.WAITING
    )
    if days is not None:
        query = query.where(WaitlistEntry.day.in_(days))
    return sorted(set(db.session.scalars(query.distinct())))


def _enqueue_matches(venue_id: int, days: list[date]) -> None:
    for day in days:
        enqueue(match_day_job, venue_id=venue_id, day=day.isoformat())


@times_reopened.connect
def offer_reopened_times(reason: str, *, times: tuple[ReopenedTime, ...] = (), **_: object) -> None:
    """A release freed times: the days they fall on get a matching job (after commit)."""
    by_venue: dict[int, set[date]] = {}
    for time in times:
        venue = db.session.get(Venue, time.venue_id)
        if venue is None:
            continue
        zone = venue_zone(venue.timezone)
        # Its local day, and the day its buffer ends on (a late time can free the next morning).
        by_venue.setdefault(venue.id, set()).update(
            {time.starts_at.astimezone(zone).date(), time.blocks_until.astimezone(zone).date()}
        )
    for venue_id, days in by_venue.items():
        _enqueue_matches(venue_id, _days_with_waiting(venue_id, sorted(days)))


@times_opened.connect
def offer_new_hours(reason: str, *, venue_id: int, days: tuple[date, ...] | None = None, **_: object) -> None:
    """New hours: every day of the venue (or the days named) with people waiting gets a job."""
    if not db.session.scalar(
        select(exists().where(WaitlistEntry.venue_id == venue_id, WaitlistEntry.status == EntryStatus.WAITING))
    ):
        return
    _enqueue_matches(venue_id, _days_with_waiting(venue_id, list(days) if days is not None else None))


# -- jobs ----------------------------------------------------------------------------------------


@job(name="waitlist.match_day")
def match_day_job(venue_id: int, day: str) -> None:
    match_day(venue_id, date.fromisoformat(day))
    db.session.commit()


def lapse_offers(now: datetime | None = None) -> int:
    """Every day with an offer past its time: lapse it and offer the next person. Entries for
    days long past end as expired. Returns how many days were matched again."""
    now = now or datetime.now(UTC)
    due = db.session.execute(
        select(WaitlistEntry.venue_id, WaitlistEntry.day)
        .join(WaitlistOffer, WaitlistOffer.entry_id == WaitlistEntry.id)
        .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now)
        .distinct()
        .order_by(WaitlistEntry.venue_id, WaitlistEntry.day)
    ).all()
    for venue_id, day in due:
        match_day(venue_id, day, now=now)
    # A day is over everywhere once UTC's yesterday has passed (zones span UTC-12..+14).
    db.session.execute(
        WaitlistEntry.__table__.update()
        .where(WaitlistEntry.status == EntryStatus.WAITING, WaitlistEntry.day < (now - timedelta(days=1)).date())
        .values(status=EntryStatus.EXPIRED, ended_at=now)
    )
    return len(due)


@job(name="waitlist.lapse_offers")
def lapse_offers_job(timestamp: int | None = None) -> None:
    lapse_offers()
    db.session.commit()
