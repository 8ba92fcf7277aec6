"""Input for the client book and the front desk's "New booking" (app/clients/views/).

The query strings (the list's search and page, the desk's time picker) are read by functions that
raise ValueError with a message a person understands; the posted forms (notes and tags, a block,
a desk booking, a desk visit) are Flask-WTF forms, CSRF included. The rules about a client's details, notes,
tags and reasons stay in app/clients/service.py: these only read what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from app.booking.forms import MAX_ADDON_IDS, RepeatedField
from app.booking.visit_forms import parse_guest_names, parse_treatments
from app.booking.visits import Treatment
from app.clients.service import clean_contact
from app.platform.errors import ValidationFailed
from app.platform.form_fields import checked
from app.venues.addons import Choice, chosen_addons
from app.venues.models import Service, ServiceAddon, ServiceOption, Venue
from app.venues.options import chosen_option, standard_option

MAX_QUERY = 100
MAX_PAGE = 10_000
BOOK_AHEAD_DAYS = 366
# How a desk booking is paid: at the venue, or online by a payment link (app/payments/desk_links.py).
PAYMENT_CHOICES = ("at_venue", "link")
_ID = re.compile(r"\d{1,9}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# -- the list's query string ------------------------------------------------------------------------


def parse_query(raw: str | None) -> str:
    """The client search, trimmed: at most MAX_QUERY characters."""
    q = (raw or "").strip()
    if len(q) > MAX_QUERY:
        raise ValueError(_("Search for at most %(num)d characters.", num=MAX_QUERY))
    return q


def parse_page(raw: str | None) -> int:
    """The list's page number, 1 to MAX_PAGE (1 when left out)."""
    text = (raw or "1").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise ValueError(_("That page number is not valid."))
    return int(text)


# -- the desk's choices, read one by one ------------------------------------------------------------


def pick_service(raw: str | None, services: Mapping[int, Service]) -> Service:
    """One of the venue's bookable services, by id."""
    if raw is None or not _ID.fullmatch(raw.strip()) or int(raw) not in services:
        raise ValueError(_("Pick one of your venue's services."))
    return services[int(raw)]


def pick_option(raw: str | None, service: Service, *, required: bool = False) -> ServiceOption | None:
    """One of the service's options by id (app/venues/options.py); None for a service without
    options. Left out, its standard (cheapest) one, unless ``required`` (a posted booking names it)."""
    text = (raw or "").strip()
    if not text and not required:
        return standard_option(service)
    if text and not _ID.fullmatch(text):
        raise ValueError(_("That option can't be read: choose one from the list."))
    try:
        return chosen_option(service, int(text) if text else None)
    except ValidationFailed as exc:  # another service's, or this one has none: said in its words
        raise ValueError(exc.message) from None


def pick_addons(raw: Sequence[str] | str | None, service: Service) -> tuple[ServiceAddon, ...]:
    """The service's add-ons by id (app/venues/addons.py), each at most once, in the service's order."""
    values = [raw] if isinstance(raw, str) else list(raw or [])
    texts = [value.strip() for value in values if value.strip()]
    if len(texts) > MAX_ADDON_IDS or not all(_ID.fullmatch(text) for text in texts):
        raise ValueError(_("That add-on can't be read: choose one from the list."))
    if not texts:
        return ()
    try:
        return chosen_addons(service, [int(text) for text in texts])
    except ValidationFailed as exc:  # another service's, or one named twice
        raise ValueError(exc.message) from None


def pick_member(raw: str | None, venue: Venue) -> int | None:
    """A team member of the venue by id, or None for "Any" (the team is read only for an id)."""
    if raw in (None, "", "any"):
        return None
    if not _ID.fullmatch(raw.strip()) or int(raw) not in {member.id for member in venue.team}:
        raise ValueError(_("Pick a team member of your venue, or “Any”."))
    return int(raw)


def is_client_id(raw: str | None) -> bool:
    """Whether ``raw`` reads as a client's id (the client book checks it is one of the venue's)."""
    return bool(raw and _ID.fullmatch(raw))


def parse_day(raw: str | None, today: date) -> date:
    """The day to book, today when left out: from today to a year ahead."""
    if not raw:
        return today
    if not _DAY.fullmatch(raw.strip()):
        raise ValueError(_("Enter the date as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(_("Enter the date as YYYY-MM-DD.")) from None
    if not today <= day <= today + timedelta(days=BOOK_AHEAD_DAYS):
        raise ValueError(_("Pick a date from today to a year ahead."))
    return day


def parse_start(raw: str | None) -> datetime:
    """One of the offered times (an ISO 8601 time with its offset), in UTC."""
    try:
        starts_at = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValueError(_("Pick one of the offered times.")) from None
    if starts_at.tzinfo is None:
        raise ValueError(_("Pick one of the offered times."))
    return starts_at.astimezone(UTC)


@dataclass(frozen=True)
class DeskChoice:
    """What the desk's time picker shows. The day, the service, its option and add-ons and the
    member are read in that order, and one after a problem is left unread (a bad date picks no
    service)."""

    day: date | None = None
    service: Service | None = None
    member_id: int | None = None
    problem: str | None = None
    option: ServiceOption | None = None
    addons: tuple[ServiceAddon, ...] = ()

    def booked(self) -> Choice:
        """What the times are for: the option and add-ons picked (their length)."""
        return Choice(option=self.option, addons=self.addons)


def read_desk_choice(
    args: Mapping[str, Any], *, venue: Venue, services: Mapping[int, Service], today: date
) -> DeskChoice:
    """The picker's day (``date``), ``service`` (none yet when left out), its ``option`` (its
    standard one when left out), its ``addons`` (a list of ids) and ``member``."""
    day = service = member_id = option = None
    addons: tuple[ServiceAddon, ...] = ()
    try:
        day = parse_day(args.get("date"), today)
        if args.get("service"):
            service = pick_service(args.get("service"), services)
            option = pick_option(args.get("option"), service)
            addons = pick_addons(args.get("addons"), service)
        member_id = pick_member(args.get("member"), venue)
    except ValueError as exc:
        return DeskChoice(day, service, member_id, str(exc), option, addons)
    return DeskChoice(day, service, member_id, None, option, addons)


# -- the posted forms -------------------------------------------------------------------------------


class ClientNotesForm(FlaskForm):
    """The card's notes and tags (their limits are the service's: app/clients/service.py)."""

    notes = TextAreaField(default="")
    tags = StringField(default="")


class ClientContactForm(FlaskForm):
    """The client's details as the desk corrects them (checked by the service: clean_contact,
    parse_birthday)."""

    name = StringField(default="")
    email = StringField(default="")
    phone = StringField(default="")
    birthday = StringField(default="")


class BlockForm(FlaskForm):
    """Why the client is blocked (the service asks for one)."""

    reason = StringField(default="")


class DeskChecks:
    """What both desk forms ask and check the same way: how the client pays (``payment``), one of
    the offered times (``starts_at``), a client of the book (``client_id``) or a new one's details
    (``new_*``, the service checks those), and the picker's day, shown again. A form checks its
    fields in the order they are declared, those declared here first, and the page shows the first
    problem; the time and the client are checked after the form's own choices, so each form
    declares ``starts_at`` and ``client_id`` itself, after them."""

    payment = StringField(default="")
    new_name = StringField(default="")
    new_email = StringField(default="")
    new_phone = StringField(default="")
    date = StringField(default="")  # the picker's day, shown again; the time decides

    errors: Any

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pay_by_link = False
        self.start: datetime | None = None
        self.chosen_client_id: int | None = None

    def validate_payment(self, field: StringField) -> None:
        field.data = field.data or "at_venue"  # the form's default
        if field.data not in PAYMENT_CHOICES:
            raise ValidationError(_("Choose how the client pays: at the venue, or by a payment link."))
        self.pay_by_link = field.data == "link"

    def validate_starts_at(self, field: StringField) -> None:
        self.start = checked(parse_start, field.data)

    def validate_client_id(self, field: StringField) -> None:
        if field.data and not is_client_id(field.data):
            raise ValidationError(_("Pick a client from your client book, or add a new one."))
        self.chosen_client_id = int(field.data) if field.data else None

    def first_error(self) -> str:
        return next(error for errors in self.errors.values() for error in errors)

    def client_fields(self) -> dict[str, Any]:
        """Who the booking is for, as ``clients.desk_client`` takes it: one of the book, or a new one."""
        return {
            "client_id": self.chosen_client_id,
            "name": self.new_name.data,
            "email": self.new_email.data,
            "phone": self.new_phone.data,
        }


def _contact_problem(field: StringField, name: str, email: str, phone: str) -> None:
    """The service's complaint about one of a new client's details, as ``field``'s error."""
    try:
        clean_contact(name, email, phone)
    except ValidationFailed as exc:
        field.errors.append(exc.message)


class DeskBookingForm(DeskChecks, FlaskForm):
    """A booking at the desk: how the client pays, a service, its option (required when it has
    options) and add-ons (``addons``, repeated), a member or "Any", one of the offered times, and a
    client from the book (``client_id``) or a new one (``new_*``, checked here with the service's
    rule, and by the service again). Every field is checked; the page shows each problem beside
    its field, and all of them in a list at the top."""

    service = StringField(default="")
    option = StringField(default="")
    addons = RepeatedField(default=list)
    member = StringField(default="")
    starts_at = StringField(default="")
    client_id = StringField(default="")

    def __init__(self, *args: Any, venue: Venue, services: Mapping[int, Service], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.venue, self.services = venue, services
        self.chosen_service: Service | None = None
        self.chosen_option: ServiceOption | None = None
        self.chosen_addons: tuple[ServiceAddon, ...] = ()
        self.member_id: int | None = None

    def validate_service(self, field: StringField) -> None:
        self.chosen_service = checked(pick_service, field.data, self.services)

    def validate_option(self, field: StringField) -> None:
        if self.chosen_service is not None:  # else the service's problem is the one shown
            service = self.chosen_service
            self.chosen_option = checked(lambda raw: pick_option(raw, service, required=True), field.data)

    def validate_addons(self, field: RepeatedField) -> None:
        if self.chosen_service is not None:
            self.chosen_addons = checked(pick_addons, field.data, self.chosen_service)

    def validate_member(self, field: StringField) -> None:
        self.member_id = checked(pick_member, field.data, self.venue)

    def validate_client_id(self, field: StringField) -> None:
        """One of the book's clients, or a new one's details, each checked on its own (by the
        service's rule, app/clients/service.py ``clean_contact``) so every problem shows at once,
        beside its field; the service checks them again when it adds the client."""
        super().validate_client_id(field)
        if self.chosen_client_id is not None:
            return
        name, email, phone = self.new_name.data or "", self.new_email.data or "", self.new_phone.data or ""
        if name.strip():
            _contact_problem(self.new_name, name, "", "")
        else:
            self.new_name.errors.append(_("Pick a client from your client book, or add a new one with their name."))
        _contact_problem(self.new_email, "-", email, "")
        _contact_problem(self.new_phone, "-", "", phone)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return valid and not self.field_errors()  # validate_client_id marks the new_* fields too

    def field_errors(self) -> dict[str, list[str]]:
        """Every field's problems by the field's name (the page shows each beside its field; the
        form's token is the app's CSRF check's)."""
        return {name: list(errors) for name, errors in self.errors.items() if name and name != "csrf_token"}

    def values(self) -> dict[str, Any]:
        """What was typed, to show the form again (``addons``: a list of ids)."""
        typed: dict[str, Any] = {field.name: field.data or "" for field in self if field.name != "csrf_token"}
        typed["addons"] = list(self.addons.data or [])
        return typed


class DeskVisitForm(DeskChecks, FlaskForm):
    """A visit at the desk (app/clients/desk_visits.py): how the client pays, its treatments
    (``treatments``, repeated, each "guest/service[:option]" as app/booking/visit_forms.py reads
    it, each guest's in order), the guests' names (``guest_names``, repeated, in guest order,
    optional), one of the offered starts, and a client from the book or a new one, as the desk's
    booking form. Each treatment must be one of the venue's bookable services; whether they make a
    visit is the visit's own rule (app/booking/visits.py)."""

    treatments = RepeatedField(default=list)
    guest_names = RepeatedField(default=list)
    starts_at = StringField(default="")
    client_id = StringField(default="")

    def __init__(self, *args: Any, services: Mapping[int, Service], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.services = services
        self.chosen: list[Treatment] = []
        self.names: list[str] = []

    def validate_treatments(self, field: RepeatedField) -> None:
        chosen = checked(parse_treatments, field.data or [])
        if not chosen:
            raise ValidationError(_("Choose the visit's treatments."))
        if any(t.service_id not in self.services for t in chosen):
            raise ValidationError(_("Pick one of your venue's services."))
        self.chosen = chosen

    def validate_guest_names(self, field: RepeatedField) -> None:
        self.names = checked(parse_guest_names, field.data or [])

    def values(self) -> dict[str, Any]:
        """What was typed, to show the page again (``treatments`` and ``guest_names``: lists)."""
        typed: dict[str, Any] = {field.name: field.data or "" for field in self if field.name != "csrf_token"}
        typed["treatments"] = list(self.treatments.data or [])
        typed["guest_names"] = list(self.guest_names.data or [])
        return typed
