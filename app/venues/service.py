"""Venue commands. Plain arguments in, domain errors out; the caller commits once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.platform.errors import InvalidTransition, LimitReached, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import savepoint_or_refuse
from app.venues.booking_rules import BookingRules, check_booking_rules
from app.venues.deposits import PaymentMode, check_payment_terms
from app.venues.events import announce_opened
from app.venues.hours import Range, find_overlaps, is_valid_timezone
from app.venues.models import (
    Category,
    Closure,
    OpeningHours,
    Service,
    Venue,
    VenueStatus,
)
from app.venues.processing import Processing, check_processing, processing_of
from app.venues.slugs import assign_slug, unique_slug
from app.venues.vat import clean_vat_number

WIZARD_STEPS = ("basics", "location", "hours", "services", "team", "faqs", "images", "review")
CURRENCIES = ("GBP", "EUR", "USD")
WEBSITE_MAX = 300  # the column's length, "https://" included
TAG_RE = re.compile(r"^[\w][\w &'-]{0,39}$", re.UNICODE)


# -- queries --------------------------------------------------------------------------


def get_venue_for_owner(user_id: int) -> Venue | None:
    return db.session.scalar(select(Venue).where(Venue.owner_id == user_id))


def get_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position)))


def get_category(category_id: int | None) -> Category | None:
    return db.session.get(Category, category_id) if category_id else None


def lock_venue(venue: Venue) -> Venue:
    """Row-lock the venue for the rest of the transaction (serialises limited adds)."""
    return db.session.scalars(select(Venue).where(Venue.id == venue.id).with_for_update()).one()


def missing_for_submission(venue: Venue) -> list[str]:
    """What still stops the venue from being submitted for review, in words for the owner."""
    missing = []
    if not venue.description or len(venue.description.strip()) < 20:
        missing.append(_("a description of at least 20 characters"))
    if venue.category_id is None:
        missing.append(_("a category"))
    if not (venue.address_line and venue.city and venue.latitude is not None and venue.longitude is not None):
        missing.append(_("an address and a map location"))
    if not venue.opening_hours:
        missing.append(_("opening hours"))
    if not venue.active_services:
        missing.append(_("at least one active service"))
    if not venue.gallery:
        missing.append(_("at least one photo"))
    return missing


# -- changes to a live venue -----------------------------------------------------------


def note_change(venue: Venue, area: str) -> None:
    """An approved venue stays live when edited; the changed area is flagged for re-review."""
    if venue.status == VenueStatus.APPROVED and area not in (venue.changed_fields or []):
        venue.changed_fields = [*(venue.changed_fields or []), area]


def advance_onboarding(venue: Venue, finished_step: str) -> None:
    if venue.onboarding_step not in WIZARD_STEPS or finished_step not in WIZARD_STEPS:
        return
    next_index = WIZARD_STEPS.index(finished_step) + 1
    if next_index < len(WIZARD_STEPS) and WIZARD_STEPS.index(venue.onboarding_step) < next_index:
        venue.onboarding_step = WIZARD_STEPS[next_index]


# -- basics and location --------------------------------------------------------------


def clean_tags(raw: str | list[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    tags: list[str] = []
    for item in items:
        tag = " ".join(item.strip().lower().split())
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise ValidationFailed(
                _("“%(tag)s” is not a tag we can use: letters, numbers and spaces, up to 40.", tag=tag[:40]),
                field="tags",
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > 10:
        raise ValidationFailed(_("Use at most 10 tags."), field="tags")
    return tags


def create_venue(owner: User, *, name: str, category_id: int | None, description: str = "") -> Venue:
    if not owner.is_provider:
        raise ValidationFailed(_("Only venue owner accounts can create a venue."))
    if get_venue_for_owner(owner.id) is not None:
        raise LimitReached(_("You already have a venue. Each account runs one venue; edit it from your dashboard."))
    venue = Venue(owner_id=owner.id, name=name.strip(), description=description.strip(), tags=[], changed_fields=[])
    venue.category_id = _checked_category(category_id)
    venue.slug = unique_slug(venue.name)
    # Two tabs submitting at once: the unique owner constraint decides.
    with savepoint_or_refuse(LimitReached(_("You already have a venue. Each account runs one venue."))):
        db.session.add(venue)
    assign_slug(venue, venue.slug)
    advance_onboarding(venue, "basics")
    return venue


def update_basics(
    venue: Venue,
    *,
    name: str,
    description: str,
    category_id: int | None,
    tags: str | list[str],
    phone: str,
    email: str,
    website: str,
    vat_number: str | None = None,
) -> None:
    """``vat_number`` None leaves it as it is; "" clears it (the venue isn't VAT-registered)."""
    vat = clean_vat_number(vat_number) if vat_number is not None else venue.vat_number
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter the venue's name."), field="name")
    website = website.strip()
    if website and not website.startswith(("http://", "https://")):
        website = "https://" + website
    if len(website) > WEBSITE_MAX:
        raise ValidationFailed(_("Use a web address of at most 300 characters."), field="website")
    venue.category_id = _checked_category(category_id)
    venue.tags = clean_tags(tags)
    if name != venue.name:
        venue.name = name
        assign_slug(venue, unique_slug(name, venue.city, venue_id=venue.id))
    venue.description = description.strip()
    venue.phone = phone.strip()
    venue.email = email.strip().lower()
    venue.website = website
    venue.vat_number = vat
    note_change(venue, "basics")
    advance_onboarding(venue, "basics")


def update_location(
    venue: Venue,
    *,
    address_line: str,
    city: str,
    postcode: str,
    country: str,
    latitude: float | None,
    longitude: float | None,
    timezone: str,
) -> None:
    """The address and map pin. A street and a town are required (the location page's rule, here
    so that every caller keeps it), and both coordinates."""
    if not address_line.strip():
        raise ValidationFailed(_("Enter the street address."), field="address_line")
    if not city.strip():
        raise ValidationFailed(_("Enter the town or city."), field="city")
    if latitude is None or not -90 <= latitude <= 90:
        raise ValidationFailed(_("Latitude must be between -90 and 90."), field="latitude")
    if longitude is None or not -180 <= longitude <= 180:
        raise ValidationFailed(_("Longitude must be between -180 and 180."), field="longitude")
    if not is_valid_timezone(timezone):
        raise ValidationFailed(
            _("“%(timezone)s” is not a time zone we know; pick one like Europe/London.", timezone=timezone[:64]),
            field="timezone",
        )
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationFailed(_("Use the two-letter country code, like GB or FR."), field="country")
    venue.address_line = address_line.strip()
    venue.city = city.strip()
    venue.postcode = postcode.strip().upper()
    venue.country = country
    venue.latitude = latitude
    venue.longitude = longitude
    venue.timezone = timezone
    note_change(venue, "location")
    advance_onboarding(venue, "location")


def _checked_category(category_id: int | None) -> int | None:
    if category_id in (None, "", 0):
        return None
    if get_category(int(category_id)) is None:
        raise ValidationFailed(_("Choose a category from the list."), field="category_id")
    return int(category_id)


# -- opening hours and closures -----------------------------------------------------------


def hours_problem(ranges: list[Range]) -> str:
    """What is wrong with one day's opening ranges, in words for the owner; "" when nothing is."""
    for r in ranges:
        if not (0 <= r.opens < r.closes <= 24 * 60):
            return _(
                "%(r_label)s: the closing time must be after the opening time. For hours past midnight, add the "
                "rest to the next day.",
                r_label=r.label,
            )
    overlaps = find_overlaps(ranges)
    if overlaps:
        a, b = overlaps[0]
        return _("%(a_label)s and %(b_label)s overlap. Merge them or change one.", a_label=a.label, b_label=b.label)
    return ""


def set_day_hours(venue: Venue, weekday: int, ranges: list[Range]) -> None:
    """Replace the opening ranges of one weekday ([] means closed that day)."""
    if not 0 <= weekday <= 6:
        raise ValidationFailed(_("Choose a day of the week."), field="weekly")
    problem = hours_problem(ranges)
    if problem:
        raise ValidationFailed(problem, field="weekly")
    for existing in [h for h in venue.opening_hours if h.weekday == weekday]:
        venue.opening_hours.remove(existing)
    db.session.flush()
    try:
        with db.session.begin_nested():
            for r in ranges:
                venue.opening_hours.append(OpeningHours(weekday=weekday, opens_minute=r.opens, closes_minute=r.closes))
            db.session.flush()
    except IntegrityError as exc:
        # The exclusion constraint is the last word, e.g. when two edits race.
        db.session.expire(venue, ["opening_hours"])
        if "ex_opening_hours_no_overlap" in str(exc.orig):
            raise ValidationFailed(
                _("Those opening hours overlap. Merge them or change one."), field="weekly"
            ) from None
        raise
    note_change(venue, "hours")
    if ranges:
        _announce_new_hours(venue.id, "opening_hours_changed")


def _announce_new_hours(venue_id: int, reason: str, days=None) -> None:
    """New times may be free: the waitlist hears it (app/venues/events.py ``times_opened``)."""
    announce_opened(reason, venue_id, days)


def copy_day_to(venue: Venue, source_weekday: int, target_weekdays: list[int]) -> None:
    ranges = [Range(h.opens_minute, h.closes_minute) for h in venue.opening_hours if h.weekday == source_weekday]
    for weekday in target_weekdays:
        if weekday != source_weekday:
            set_day_hours(venue, weekday, ranges)


# Closures are dated within sensible bounds: a typo'd year (0001, 9999) is refused, not stored.
CLOSURE_PAST_DAYS = 366
CLOSURE_AHEAD_DAYS = 5 * 366


def add_closure(venue: Venue, *, starts_on: date, ends_on: date, reason: str) -> Closure:
    if ends_on < starts_on:
        raise ValidationFailed(_("The last day of a closure can't be before its first day."), field="ends_on")
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed(_("A closure can last at most a year."), field="ends_on")
    today = datetime.now(UTC).date()
    if starts_on < today - timedelta(days=CLOSURE_PAST_DAYS):
        raise ValidationFailed(_("A closure can start at most a year ago. Check the year."), field="starts_on")
    if ends_on > today + timedelta(days=CLOSURE_AHEAD_DAYS):
        raise ValidationFailed(_("A closure can end at most five years from today. Check the year."), field="ends_on")
    closure = Closure(starts_on=starts_on, ends_on=ends_on, reason=reason.strip()[:200])
    venue.closures.append(closure)
    db.session.flush()
    note_change(venue, "hours")
    return closure


def remove_closure(venue: Venue, closure_id: int) -> None:
    closure = child_of(venue.closures, closure_id, _("closure"))
    venue.closures.remove(closure)
    note_change(venue, "hours")
    days = [closure.starts_on + timedelta(days=n) for n in range((closure.ends_on - closure.starts_on).days + 1)]
    _announce_new_hours(venue.id, "closure_removed", days)


# -- services ---------------------------------------------------------------------------


class Keep:
    """Leave this setting as it is."""


KEEP = Keep()


def save_service(
    venue: Venue,
    service: Service | None,
    *,
    name: str,
    description: str,
    category_id: int | None,
    duration_minutes: int,
    price_minor: int,
    capacity: int,
    buffer_minutes: int,
    is_active: bool,
    payment_mode: str | None = None,
    deposit_percent: int | None = None,
    deposit_fixed_minor: int | None = None,
    no_show_fee_percent: int | Keep | None = KEEP,
    rules: BookingRules | None = None,
    processing: Processing | Keep | None = KEEP,
    rebook_after_weeks: int | Keep | None = KEEP,
) -> Service:
    """Add (``service`` None) or edit a service. ``payment_mode`` None keeps how it is paid
    (a new service: in full online); ``no_show_fee_percent`` left out keeps the fee; ``rules``
    None keeps the booking rules (a new service: the defaults, app/venues/booking_rules.py);
    ``processing`` left out keeps its processing gap (a new service: none, app/venues/processing.py);
    ``rebook_after_weeks`` left out keeps its rebooking nudge (a new service: none)."""
    if not name.strip():
        raise ValidationFailed(_("Enter the service's name."), field="name")
    if not 5 <= duration_minutes <= 720:
        raise ValidationFailed(_("A service lasts between 5 minutes and 12 hours."), field="duration_minutes")
    if price_minor < 0:
        raise ValidationFailed(_("The price can't be negative."), field="price_minor")
    if not 1 <= capacity <= 50:
        raise ValidationFailed(_("Capacity is between 1 and 50 people at once."), field="capacity")
    if not 0 <= buffer_minutes <= 240:
        raise ValidationFailed(_("The buffer after a service is between 0 and 240 minutes."), field="buffer_minutes")
    if isinstance(rebook_after_weeks, int) and not 1 <= rebook_after_weeks <= 52:
        raise ValidationFailed(
            _("Invite customers back after 1 to 52 weeks, or leave it empty."), field="rebook_after_weeks"
        )
    category_id = _checked_category(category_id)
    if payment_mode is None and service is not None:
        payment_mode = service.payment_mode
        deposit_percent, deposit_fixed_minor = service.deposit_percent, service.deposit_fixed_minor
    payment_mode = payment_mode or PaymentMode.FULL
    if isinstance(no_show_fee_percent, Keep):
        no_show_fee_percent = service.no_show_fee_percent if service is not None else None
    check_payment_terms(
        payment_mode,
        price_minor=price_minor,
        deposit_percent=deposit_percent,
        deposit_fixed_minor=deposit_fixed_minor,
        no_show_fee_percent=no_show_fee_percent,
    )
    if isinstance(processing, Keep):
        processing = processing_of(service) if service is not None else None
    check_processing(processing, [duration_minutes])
    if rules is not None:
        check_booking_rules(
            rules,
            platform_notice_minutes=current_app.config["BOOKING_MIN_NOTICE_MINUTES"],
            platform_advance_days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"],
        )
    if service is None:
        position = max((s.position for s in venue.services), default=-1) + 1
        service = Service(position=position, currency=venue.currency)
        venue.services.append(service)
    elif service.venue_id != venue.id:
        raise ValidationFailed(_("That service belongs to another venue."))
    service.name = name.strip()
    service.description = description.strip()
    service.category_id = category_id
    service.duration_minutes = duration_minutes
    service.price_minor = price_minor
    service.capacity = capacity
    service.buffer_minutes = buffer_minutes
    service.processing_after_minutes = processing.after if processing else None
    service.processing_minutes = processing.minutes if processing else None
    service.is_active = is_active
    if not isinstance(rebook_after_weeks, Keep):
        service.rebook_after_weeks = rebook_after_weeks
    service.payment_mode = str(payment_mode)
    service.deposit_percent = deposit_percent if payment_mode == PaymentMode.DEPOSIT_PERCENT else None
    service.deposit_fixed_minor = deposit_fixed_minor if payment_mode == PaymentMode.DEPOSIT_FIXED else None
    service.no_show_fee_percent = no_show_fee_percent
    if rules is not None:
        service.cancel_free_hours = rules.cancel_free_hours
        service.cancel_late_fee_percent = rules.cancel_late_fee_percent
        service.min_notice_minutes = rules.min_notice_minutes
        service.max_advance_days = rules.max_advance_days
        service.request_to_book = rules.request_to_book
        service.request_window_hours = rules.request_window_hours
    db.session.flush()
    note_change(venue, "services")
    return service


def remove_service(venue: Venue, service_id: int) -> None:
    """Remove a service; one with bookings can't go (they keep their service): hide it instead
    (``is_active`` False), and nothing changes."""
    service = child_of(venue.services, service_id, _("service"))
    # Bookings keep their service (a foreign key without cascade): the database says so.
    in_use = InvalidTransition(
        _("{} has bookings, so it can't be removed. Untick “Customers can book it” to hide it instead.").format(
            f"“{service.name}”"
        )
    )
    with savepoint_or_refuse(in_use):
        venue.services.remove(service)
    note_change(venue, "services")


def child_of(items, item_id: int, label: str):
    """The item of ``items`` with that id, else NotFound naming ``label`` ("No such team member")."""
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(_("No such %(label)s at your venue.", label=label))


# -- invitations back ----------------------------------------------------------------------------


def set_invitations(venue: Venue, *, birthday_messages: bool, win_back_months: int | None) -> None:
    """The venue's birthday messages (on or off) and win-back (months after a last visit, 2 to 24,
    or None for never): app/notifications/return_messages.py sends them, with consent only."""
    if win_back_months is not None and not 2 <= win_back_months <= 24:
        raise ValidationFailed(_("Win back after 2 to 24 months, or leave it empty."), field="win_back_months")
    venue.birthday_messages = birthday_messages
    venue.win_back_months = win_back_months
