"""Forms for the venue profile pages of the provider dashboard.

Forms check the shape of the input (present, a number, a date); the rules about a venue
(ranges, known time zones, overlapping hours) live in app/venues/service.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    EmailField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from app.accounts.forms import PHONE
from app.platform.errors import ValidationFailed
from app.platform.form_fields import text_field
from app.venues.hours import Range, format_minute, parse_minute, weekday_name
from app.venues.vat import clean_vat_number

# Offered first in the time zone picker; any other IANA name can be typed instead.
COMMON_TIMEZONES = (
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
)


class IdSelectField(SelectField):
    """A select whose value is an id or nothing; whether the id exists is the service's question."""

    def __init__(self, *args, invalid_message: str = "Choose from the list.", **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, coerce=_optional_int, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        value = valuelist[0].strip()
        if value and not value.isdigit():
            self.data = None
            raise ValueError(self.invalid_message)
        self.data = int(value) if value else None


def _optional_int(value: object) -> int | None:
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[arg-type]


class CoordinateField(FloatField):
    """A float with a message a venue owner understands."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = float(valuelist[0].strip().replace(",", "."))
        except ValueError:
            self.data = None
            raise ValueError(_("Enter a number like 51.5072, or drag the pin on the map.")) from None


class BasicsForm(FlaskForm):
    # "create" while the owner has no venue yet: a second tab can't silently overwrite the first.
    intent = HiddenField(default="update")
    name = text_field(_l("Venue name"), DataRequired("Enter the venue's name."), 120, _l("Use at most 120 characters."))
    description = text_field(_l("Description"), None, 5000, _l("Use at most 5,000 characters."), field=TextAreaField)
    category_id = IdSelectField(_l("Category"), invalid_message="Choose a category from the list.")
    tags = text_field(_l("Tags"), None, 500, _l("That is too many tags; use at most 10."))
    phone = TelField(_l("Phone"), validators=PHONE)
    email = EmailField(
        _l("Booking email"),
        validators=[Optional(), Email("Enter a valid email address."), Length(max=254)],
    )
    website = StringField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=300, message=_l("Use at most 300 characters.")),
            Regexp(r"^\S+\.\S+$", message=_l("Enter a web address like example.com.")),
        ],
    )
    vat_number = StringField(_l("VAT number"), validators=[Optional(), lambda _form, field: _vat_shape(field)])


def _vat_shape(field: StringField) -> None:
    """The VAT number's shape (app/venues/vat.py), its message beside the field."""
    try:
        clean_vat_number(field.data)
    except ValidationFailed as refusal:
        raise ValidationError(refusal.message) from None


class LocationForm(FlaskForm):
    address_line = text_field(
        _l("Street address"), DataRequired("Enter the street address."), 200, _l("Use at most 200 characters.")
    )
    city = text_field(
        _l("Town or city"), DataRequired("Enter the town or city."), 100, _l("Use at most 100 characters.")
    )
    postcode = text_field(_l("Postcode"), None, 20, _l("Use at most 20 characters."))
    country = StringField(_l("Country code"), validators=[DataRequired("Enter the two-letter country code, like GB.")])
    latitude = CoordinateField(_l("Latitude"), validators=[InputRequired("Enter the latitude, or drag the pin.")])
    longitude = CoordinateField(_l("Longitude"), validators=[InputRequired("Enter the longitude, or drag the pin.")])
    timezone = SelectField(
        _l("Time zone"),
        choices=[SelectChoice("", "Another time zone (type it below)")]
        + [SelectChoice(tz, tz.replace("_", " ")) for tz in COMMON_TIMEZONES],
        validate_choice=False,
    )
    timezone_other = StringField(_l("Other time zone"), validators=[Optional(), Length(max=64)])

    def chosen_timezone(self) -> str:
        """The typed zone wins over the list, so "Other" needs no JavaScript."""
        return (self.timezone_other.data or "").strip() or (self.timezone.data or "").strip()

    def show_timezone(self, name: str) -> None:
        if name in COMMON_TIMEZONES:
            self.timezone.data = name
        else:
            self.timezone.data = ""
            self.timezone_other.data = name


class ClosureForm(FlaskForm):
    starts_on = DateField(_l("First day closed"), validators=[InputRequired("Enter the first day of the closure.")])
    ends_on = DateField(_l("Last day closed"), validators=[InputRequired("Enter the last day of the closure.")])
    reason = text_field(_l("Reason (shown to customers)"), None, 200, _l("Use at most 200 characters."))


# -- the opening hours grid -------------------------------------------------------------


@dataclass
class TimeRow:
    opens: str = ""
    closes: str = ""


@dataclass
class DayHours:
    """One weekday as the form shows it: raw text rows, so bad input is shown back as typed."""

    weekday: int
    closed: bool = False
    rows: list[TimeRow] = field(default_factory=list)
    error: str = ""
    ranges: list[Range] = field(default_factory=list)

    @property
    def name(self) -> str:
        return weekday_name(self.weekday)


def week_from_saved(saved: dict[int, list[Range]]) -> list[DayHours]:
    week = []
    for weekday in range(7):
        ranges = saved.get(weekday, [])
        rows = [TimeRow(format_minute(r.opens), format_minute(r.closes)) for r in ranges]
        week.append(DayHours(weekday, closed=not ranges, rows=rows or [TimeRow()], ranges=list(ranges)))
    return week


def read_week(formdata: MultiDict) -> list[DayHours]:
    """Parse ``day-N-opens``/``day-N-closes`` pairs and ``day-N-closed`` for each weekday.

    Blank rows are ignored; a day ticked "Closed", or with no times at all, is closed.
    Times that can't be read leave a message on that day.
    """
    week = []
    for weekday in range(7):
        opens = formdata.getlist(f"day-{weekday}-opens")
        closes = formdata.getlist(f"day-{weekday}-closes")
        rows = [TimeRow(o.strip(), c.strip()) for o, c in zip(opens, closes, strict=False)]
        day = DayHours(weekday, closed=bool(formdata.get(f"day-{weekday}-closed")), rows=rows)
        if not day.closed:
            day.ranges, day.error = _parse_rows(rows)
        if not day.rows:
            day.rows = [TimeRow()]
        if not day.ranges and not day.error:
            day.closed = True
        week.append(day)
    return week


def _parse_rows(rows: list[TimeRow]) -> tuple[list[Range], str]:
    ranges = []
    for row in rows:
        if not row.opens and not row.closes:
            continue
        if not row.opens or not row.closes:
            return [], "Enter both an opening and a closing time, or clear the row."
        try:
            ranges.append(Range(parse_minute(row.opens), parse_minute(row.closes, allow_midnight_end=True)))
        except ValueError as exc:
            return [], str(exc)
    return ranges, ""


def edit_rows(week: list[DayHours], add: str, remove: str) -> None:
    """Row editing without JavaScript: ``add`` is a weekday, ``remove`` is "weekday:row"."""
    if add.isdigit() and int(add) < len(week):
        week[int(add)].rows.append(TimeRow())
        week[int(add)].closed = False
    weekday, _colon, index = remove.partition(":")
    if weekday.isdigit() and index.isdigit() and int(weekday) < len(week):
        rows = week[int(weekday)].rows
        if int(index) < len(rows):
            del rows[int(index)]
        if not rows:
            rows.append(TimeRow())
