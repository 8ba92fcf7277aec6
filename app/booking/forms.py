"""Forms and query-string parsers for the booking pages (app/booking/views/book.py).

Everything a customer can type or tamper with is parsed here into plain values, or refused
with a message a person understands (the routes turn it into a 400).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from app.platform.form_fields import checked
from app.platform.input_guard import MAX_ID  # the largest id, as URLs check it

MAX_QUANTITY = 20  # the cart_items check constraint
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


class BadInput(ValueError):
    """A query-string or form value that can't be read; the message is shown to the person."""


def parse_month(text: str) -> date:
    """ "2026-11" -> the first day of that month."""
    match = _MONTH_RE.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2200:
        raise BadInput(_("Choose a month like 2026-11."))
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_day(text: str) -> date:
    """ "2026-11-26" -> that date."""
    text = text.strip()
    try:
        if not _DAY_RE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput(_("Choose a day like 2026-11-26.")) from None
    if not 2000 <= day.year <= 2200:
        raise BadInput(_("Choose a day like 2026-11-26."))
    return day


def parse_instant(text: str) -> datetime:
    """An ISO 8601 time with its offset ("2026-11-26T10:00:00Z") as an aware UTC datetime."""
    text = (text or "").strip()
    try:
        if len(text) > 40 or not _INSTANT_RE.fullmatch(text):
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(_("That start time can't be read. Pick a time from the list.")) from None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2200:  # the pattern requires an offset
        raise BadInput(_("That start time can't be read. Pick a time from the list."))
    return moment.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """The form value for a start time: UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WholeNumberField(IntegerField):
    """An integer field that says "Enter a whole number" instead of WTForms' default."""

    def __init__(self, *args: Any, message: str = "Enter a whole number.", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            self.data = None
            return
        text = str(valuelist[0]).strip()
        try:
            if len(text) > 12 or not text.isascii():
                raise ValueError
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


def quantity_field() -> WholeNumberField:
    """How many people: a whole number from 1 to MAX_QUANTITY (the cart's and a booking's rule)."""
    return WholeNumberField(
        _l("People"),
        message=_l("Enter the number of people as a whole number."),
        validators=[
            InputRequired("Enter the number of people."),
            NumberRange(1, MAX_QUANTITY, f"Choose between 1 and {MAX_QUANTITY} people."),
        ],
    )


MAX_ADDON_IDS = 20  # more than a service has (app/venues/addons.MAX_ADDONS): a form's worth


class RepeatedField(Field):
    """Every value of a repeated form key (``addon_ids=3&addon_ids=5``), as strings; [] when absent."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [str(value) for value in valuelist]

    def _value(self) -> str:
        return ""


class AddToCartForm(FlaskForm):
    """One wish for the cart. Only ids, a time and a count: prices always come from the server."""

    service_id = WholeNumberField(
        _l("Service"),
        message=_l("That service can't be booked."),
        validators=[InputRequired("Choose a service."), NumberRange(1, MAX_ID, "That service can't be booked.")],
    )
    starts_at = HiddenField(_l("Time"), validators=[InputRequired("Pick a time from the list.")])
    team_member_id = StringField(_l("Team member"))
    quantity = quantity_field()
    # The service's option chosen (app/venues/options.py); the cart checks it is the service's.
    option_id = WholeNumberField(
        _l("Option"),
        message=_l("Choose one of the service's options."),
        validators=[Optional(), NumberRange(1, MAX_ID, _l("Choose one of the service's options."))],
    )

    # The service's add-ons chosen (app/venues/addons.py), repeated: ``addon_ids=3&addon_ids=5``;
    # the cart checks they are the service's.
    addon_ids = RepeatedField(_l("Add-ons"))

    def validate_starts_at(self, field: HiddenField) -> None:
        self.start = checked(parse_instant, field.data)

    def validate_addon_ids(self, field: RepeatedField) -> None:
        raw = [value.strip() for value in field.data or [] if value.strip()]
        if len(raw) > MAX_ADDON_IDS or not all(r.isascii() and r.isdigit() and len(r) <= 12 for r in raw):
            raise ValidationError(_("That add-on can't be read: choose one from the list."))
        self.addons = [int(r) for r in raw]

    def validate_team_member_id(self, field: StringField) -> None:
        raw = (field.data or "").strip()
        if raw in ("", "any"):
            self.member_id = None
            return
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not 1 <= int(raw) <= MAX_ID:
            raise ValidationError(_("Choose a team member from the list."))
        self.member_id = int(raw)

    def first_error(self) -> str:
        return next(iter(e for errors in self.errors.values() for e in errors), "Check your choice and try again.")


class QuantityForm(FlaskForm):
    quantity = quantity_field()


class ActionForm(FlaskForm):
    """A button that changes something: remove, check out, confirm, cancel (CSRF only)."""
