"""Forms for the provider's services, team, FAQs and photos (app/venues/views/catalog.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.errors import ValidationFailed
from app.platform.form_fields import checked, text_field
from app.venues.addon_table import ADDON_TABLE, addon_row, read_addon_row
from app.venues.addons import AddonInput, check_addons
from app.venues.booking_rules import BookingRules, check_booking_rules
from app.venues.deposits import MODE_LABELS, PaymentMode, check_payment_terms
from app.venues.options import MAX_OPTIONS, OptionInput, cheapest, check_options
from app.venues.price_input import MAX_PRICE_MINOR, format_price_input, parse_price
from app.venues.processing import Processing, check_processing
from app.venues.resources import MAX_QUANTITY, MAX_UNITS, NAME_MAX
from app.venues.row_table import Column, Row, RowTable, TableRows

INSTANT, REQUEST = "instant", "request"


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class WholeNumberField(IntegerField):
    """An integer field whose complaint about letters reads like a person wrote it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_("Enter a whole number.")) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {self.coerce(value) for value, *_ in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(_("Choose services from your own venue."))


def _required_number(label: str, *, default: int, bounds: tuple[int, int], messages: tuple[str, str]) -> UnboundField:
    """A whole number that must be given, from ``bounds[0]`` to ``bounds[1]``: ``messages`` say
    what is wrong when it is left empty, and when it is outside."""
    missing, out_of_range = messages
    return WholeNumberField(
        label, default=default, validators=[InputRequired(missing), NumberRange(*bounds, out_of_range)]
    )


def _has_file(field: FileField) -> bool:
    return bool(field.data and getattr(field.data, "filename", ""))


OPTION_TABLE = RowTable(
    key="option",
    columns=(
        Column("name", _l("Name"), _l("Option %(num)d name"), {"maxlength": "60"}, placeholder=_l("60 min")),
        Column(
            "minutes",
            _l("Minutes"),
            _l("Option %(num)d length in minutes"),
            {"type": "number", "min": "5", "max": "720", "step": "5"},
        ),
        Column("price", _l("Price"), _l("Option %(num)d price"), {"inputmode": "decimal"}, placeholder="45.00"),
    ),
    most=MAX_OPTIONS,
    legend=_l("Options (lengths or variants)"),
    help=_l(
        "Optional: sell this service in 2 to %(num)d ways, each with its own length and price, like “60 min” and "
        "“90 min”, or “Short hair” and “Long hair”. With options, the service's own length and price above follow "
        "its cheapest option, and customers see “from” that price. Leave the rows empty for none; empty rows are "
        "ignored."
    ),
    remove=_l("option %(num)d"),
    more=_l("Need more rows? Save, and new empty rows appear (up to %(num)d options)."),
)


def option_row(option: Any) -> Row:
    """The row that shows one of a service's options."""
    return {
        "name": option.name,
        "minutes": str(option.duration_minutes),
        "price": format_price_input(option.price_minor),
        "id": str(option.id),
    }


def read_option_row(row: Row, number: int) -> OptionInput:
    """A filled row as an OptionInput; ValueError says what is wrong, naming the row."""
    name = row["name"]
    if not name:
        raise ValueError(_("Option %(num)d: give it a name, like “60 min”.", num=number))
    try:
        minutes = int(row["minutes"])
    except ValueError:
        raise ValueError(
            _("Option %(num)d (“%(name)s”): enter its length as a whole number of minutes.", num=number, name=name)
        ) from None
    try:
        price = parse_price(row["price"])
    except ValueError as exc:
        raise ValueError(_("Option %(num)d (“%(name)s”): %(problem)s", num=number, name=name, problem=exc)) from None
    try:
        option_id = int(row["id"]) if row["id"] else None
    except ValueError:
        raise ValueError(_("Option %(num)d: reload the page and try again.", num=number)) from None
    return OptionInput(name=name, duration_minutes=minutes, price_minor=price, id=option_id)


@dataclass
class NeedRow:
    """One of the venue's resources in a service form's "Needs": how many one booking takes
    (the text the owner typed, or the service's own; "0": not needed), and whether guests booked
    side by side share it (taken once by their sitting, as a couples massage's double room)."""

    resource_id: int
    name: str
    quantity: int
    value: str = "0"
    shared: bool = False

    @property
    def most(self) -> int:
        return min(MAX_UNITS, self.quantity)


def read_need(row: NeedRow) -> int:
    """The units a posted row asks for; ValueError says what is wrong, naming the resource."""
    text = row.value.strip() or "0"
    if not text.isdigit() or int(text) > row.most:
        raise ValueError(
            _("%(name)s: enter a whole number from 0 (not needed) to %(num)d.", name=row.name, num=row.most)
        )
    return int(text)


class ServiceForm(FlaskForm):
    name = text_field(_l("Name"), DataRequired("Enter the service's name."), 120, _l("Use at most 120 characters."))
    description = text_field(_l("Description"), None, 2000, _l("Use at most 2,000 characters."), field=TextAreaField)
    category_id = SelectField(
        _l("Category"), coerce=_optional_int, choices=[SelectChoice("", "No category")], validate_choice=True
    )
    duration_minutes = _required_number(
        _l("Duration (minutes)"),
        default=60,
        bounds=(5, 720),
        messages=("Enter how long the service lasts, in minutes.", "A service lasts between 5 minutes and 12 hours."),
    )
    price = StringField(_l("Price"))
    capacity = _required_number(
        _l("People at once"),
        default=1,
        bounds=(1, 50),
        messages=("Enter how many people can book the same time.", "Capacity is between 1 and 50 people at once."),
    )
    buffer_minutes = _required_number(
        _l("Buffer after (minutes)"),
        default=0,
        bounds=(0, 240),
        messages=(
            "Enter the buffer in minutes (0 for none).",
            "The buffer after a service is between 0 and 240 minutes.",
        ),
    )
    # Processing time (app/venues/processing.py): both, or neither for none. A post without them
    # (an older form, a script) keeps the service's.
    processing_after_minutes = WholeNumberField(_l("Processing starts after (minutes)"), validators=[Optional()])
    processing_minutes = WholeNumberField(_l("Processing time (minutes)"), validators=[Optional()])
    is_active = BooleanField(_l("Customers can book it"), default=True)
    # How customers pay (app/venues/deposits.py): validated together in validate_payment_mode.
    payment_mode = SelectField(
        _l("How customers pay"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        default=PaymentMode.FULL.value,
        validate_choice=False,
    )
    deposit_percent = WholeNumberField(_l("Deposit (%)"), validators=[Optional()])
    deposit_fixed = StringField(_l("Deposit (amount)"))
    no_show_fee_percent = WholeNumberField(_l("No-show fee (% of the price)"), validators=[Optional()])
    # Rebooking nudges (app/notifications/return_messages.py): empty for none, 1-52 (save_service
    # checks). A post without the field (an older form, a script) keeps the service's.
    rebook_after_weeks = WholeNumberField(_l("Invite back after (weeks)"), validators=[Optional()])
    # Booking rules (app/venues/booking_rules.py). A post without ``booking_mode`` (an older
    # form, a script) keeps the service's rules; with it, every rule is required.
    request_window_hours = WholeNumberField(
        _l("Hours you have to accept a request"), default=24, validators=[Optional()]
    )
    cancel_free_hours = WholeNumberField(
        _l("Free cancellation until (hours before)"), default=24, validators=[Optional()]
    )
    cancel_late_fee_percent = WholeNumberField(
        _l("Late cancellation fee (% of the price)"), default=50, validators=[Optional()]
    )
    min_notice = WholeNumberField(_l("Minimum notice"), validators=[Optional()])
    min_notice_unit = SelectField(
        _l("Notice in"),
        choices=[SelectChoice("minutes", _l("minutes")), SelectChoice("hours", _l("hours"))],
        default="hours",
        validate_choice=False,
    )
    max_advance_days = WholeNumberField(_l("Bookable up to (days ahead)"), validators=[Optional()])
    booking_mode = SelectField(
        _l("How customers book"),
        choices=[
            SelectChoice(INSTANT, _l("Instant booking: the time is theirs once paid")),
            SelectChoice(REQUEST, _l("Request to book: you accept or decline each booking")),
        ],
        default=INSTANT,
        validate_choice=False,
    )

    price_minor: int | None = None
    deposit_fixed_minor: int | None = None
    booking_rules: BookingRules | None = None
    processing: Processing | None = None
    # The options and add-ons tables (app/venues/options.py, app/venues/addons.py): rows as shown,
    # what they say (None: the table was not posted, the service keeps its own) and what is wrong.
    option_table: TableRows[OptionInput]
    addon_table: TableRows[AddonInput]
    option_prefix: str = ""  # before the HTML ids of an edit form's tables and needs
    # "Needs" (app/venues/resources.py): one row per resource of the venue; what they say (None:
    # not posted, the service keeps its needs), which of them guests side by side share, and
    # what is wrong with them.
    need_rows: list[NeedRow]
    needs: list[tuple[int, int]] | None = None
    shared_needs: list[int]
    need_errors: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_table, self.addon_table = TableRows(OPTION_TABLE), TableRows(ADDON_TABLE)
        self.need_rows, self.shared_needs, self.need_errors = [], [], []

    @property
    def options(self) -> list[OptionInput] | None:
        return self.option_table.values

    @property
    def addons(self) -> list[AddonInput] | None:
        return self.addon_table.values

    def offer_needs(self, resources: list[Any], service: Any = None) -> None:
        """A row per resource of the venue, showing what ``service`` (if any) needs of it."""
        present = {need.resource_id: need for need in service.needs} if service is not None else {}
        self.need_rows = [
            NeedRow(r.id, r.name, r.quantity, str(present[r.id].units), present[r.id].shared)
            if r.id in present
            else NeedRow(r.id, r.name, r.quantity)
            for r in resources
        ]

    def read_needs(self, formdata: Any) -> None:
        """The posted "Needs" (after ``offer_needs``): a post without them keeps the service's. A
        row's "shared" box left out of the post is unticked, as browsers leave out unticked boxes;
        it counts only for a resource the service needs."""
        if not formdata.get("needs_sent"):
            return
        self.needs = []
        for row in self.need_rows:
            row.value = str(formdata.get(f"need-{row.resource_id}", "") or "").strip()[:4]
            row.shared = bool(formdata.get(f"need-{row.resource_id}-shared"))
            try:
                units = read_need(row)
            except ValueError as exc:
                self.need_errors.append(str(exc))
                continue
            if units:
                self.needs.append((row.resource_id, units))
                if row.shared:
                    self.shared_needs.append(row.resource_id)

    def show_options(self, service: Any) -> None:
        """The option rows of an edit form shown (not posted): the service's options."""
        self.option_table.show([option_row(o) for o in service.options])

    def read_options(self, formdata: Any) -> None:
        """The posted options table: filled rows become ``options``; a post without the table
        keeps the service's options."""
        self.option_table.read(formdata, read_option_row, check_options)

    def show_addons(self, service: Any) -> None:
        """The add-on rows of an edit form shown (not posted): the service's add-ons."""
        self.addon_table.show([addon_row(a) for a in service.addons])

    def read_addons(self, formdata: Any, service: Any = None) -> None:
        """The posted add-ons table: filled rows become ``addons``; a post without the table keeps
        the service's add-ons. A row may keep only one of ``service``'s own add-ons."""
        known_ids = {a.id for a in service.addons} if service is not None else set()
        self.addon_table.read(formdata, lambda row, number: read_addon_row(row, number, known_ids), check_addons)

    def validate(self, extra_validators: Any = None) -> bool:
        fields_ok = super().validate(extra_validators)
        tables_ok = not self.option_table.errors and not self.addon_table.errors
        return fields_ok and tables_ok and not self.need_errors and self._processing_ok()

    def _processing_ok(self) -> bool:
        """Both processing fields or neither, a gap that ends before every length (the options' or
        the service's own): ``processing`` set, else an error under the processing time."""
        after, minutes = self.processing_after_minutes, self.processing_minutes
        if after.errors or minutes.errors:
            return False
        if (after.data is None) != (minutes.data is None):
            minutes.errors = [_("Give both when processing starts and how long it lasts, or neither.")]
            return False
        self.processing = Processing(after.data, minutes.data) if after.data is not None else None
        lengths = [o.duration_minutes for o in self.options] if self.options else [self.duration_minutes.data or 0]
        try:
            check_processing(self.processing, lengths)
        except ValidationFailed as exc:
            minutes.errors = [exc.message]
            return False
        return True

    def show_rules(self, service: Any) -> None:
        """Fill the rule fields from ``service`` for an edit form shown (not posted)."""
        self.booking_mode.data = REQUEST if service.request_to_book else INSTANT
        minutes = service.min_notice_minutes
        if minutes is None:
            self.min_notice.data, self.min_notice_unit.data = None, "hours"
        elif minutes % 60 == 0:
            self.min_notice.data, self.min_notice_unit.data = minutes // 60, "hours"
        else:
            self.min_notice.data, self.min_notice_unit.data = minutes, "minutes"

    def validate_booking_mode(self, field: SelectField) -> None:
        if not field.raw_data:
            return  # the rules were not sent: kept as they are
        if field.data not in (INSTANT, REQUEST):
            raise ValidationError(_("Choose instant booking or request to book."))
        if self.min_notice_unit.data not in ("minutes", "hours"):
            raise ValidationError(_("Give the minimum notice in minutes or hours."))
        missing = [
            (self.cancel_free_hours, _("Enter how many hours before the start cancelling is free (0 for none).")),
            (self.request_window_hours, _("Enter how many hours you have to accept a request.")),
        ]
        for rule_field, message in missing:
            if rule_field.data is None:
                rule_field.errors = [*rule_field.errors, message]
                raise ValidationError(_("Check the booking rules below."))
        factor = 60 if self.min_notice_unit.data == "hours" else 1
        rules = BookingRules(
            cancel_free_hours=self.cancel_free_hours.data,
            cancel_late_fee_percent=self.cancel_late_fee_percent.data,
            min_notice_minutes=None if self.min_notice.data is None else self.min_notice.data * factor,
            max_advance_days=self.max_advance_days.data,
            request_to_book=field.data == REQUEST,
            request_window_hours=self.request_window_hours.data,
        )
        try:
            check_booking_rules(
                rules,
                platform_notice_minutes=current_app.config["BOOKING_MIN_NOTICE_MINUTES"],
                platform_advance_days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"],
            )
        except ValidationFailed as exc:
            raise ValidationError(exc.message) from None
        self.booking_rules = rules

    def validate_price(self, field: StringField) -> None:
        if self.options and not (field.data or "").strip():
            self.price_minor = cheapest(self.options).price_minor  # the options set it
            return
        self.price_minor = checked(parse_price, field.data)

    def validate_payment_mode(self, field: SelectField) -> None:
        if field.data not in {mode.value for mode in PaymentMode}:
            raise ValidationError(_("Choose how customers pay: in full, a deposit, or at the venue."))
        if field.data == PaymentMode.DEPOSIT_FIXED:
            try:
                self.deposit_fixed_minor = parse_price(self.deposit_fixed.data)
            except ValueError as exc:
                raise ValidationError(_("Deposit: %(problem)s", problem=exc)) from None
        try:
            check_payment_terms(
                field.data,
                price_minor=self.price_minor if self.price_minor is not None else MAX_PRICE_MINOR,
                deposit_percent=self.deposit_percent.data if field.data == PaymentMode.DEPOSIT_PERCENT else None,
                deposit_fixed_minor=self.deposit_fixed_minor,
                no_show_fee_percent=self.no_show_fee_percent.data,
            )
        except ValidationFailed as exc:
            raise ValidationError(exc.message) from None

    def service_fields(self) -> dict[str, Any]:
        """The arguments of save_service, from validated data."""
        mode = self.payment_mode.data
        duration, price = self.duration_minutes.data, self.price_minor
        if self.options:  # the service's own length and price are its cheapest option's
            first = cheapest(self.options)
            duration, price = first.duration_minutes, first.price_minor
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "category_id": self.category_id.data,
            "duration_minutes": duration,
            "price_minor": price,
            "capacity": self.capacity.data,
            "buffer_minutes": self.buffer_minutes.data,
            "is_active": bool(self.is_active.data),
            "payment_mode": mode,
            "deposit_percent": self.deposit_percent.data if mode == PaymentMode.DEPOSIT_PERCENT else None,
            "deposit_fixed_minor": self.deposit_fixed_minor if mode == PaymentMode.DEPOSIT_FIXED else None,
            "no_show_fee_percent": self.no_show_fee_percent.data,
            "rules": self.booking_rules,
            **({"processing": self.processing} if self.processing_minutes.raw_data else {}),  # not sent: kept
            **({"rebook_after_weeks": self.rebook_after_weeks.data} if self.rebook_after_weeks.raw_data else {}),
        }


class TeamMemberForm(FlaskForm):
    name = text_field(_l("Name"), DataRequired("Enter the team member's name."), 120, _l("Use at most 120 characters."))
    title = text_field(_l("Role or title"), None, 120, _l("Use at most 120 characters."))
    bio = text_field(_l("Short bio"), None, 1000, _l("Use at most 1,000 characters."), field=TextAreaField)
    service_ids = MultiCheckboxField(_l("Services they perform"), coerce=int, choices=[], validate_choice=True)
    photo = FileField(_l("Photo"))
    alt_text = text_field(
        _l("Describe the photo (alt text)"), None, 200, _l("Keep the description under 200 characters.")
    )
    remove_photo = BooleanField(_l("Remove the current photo"))

    def validate_alt_text(self, field: StringField) -> None:
        if _has_file(self.photo) and not (field.data or "").strip():
            raise ValidationError(_("Describe the photo for people who can't see it (alt text)."))

    @property
    def has_photo(self) -> bool:
        return _has_file(self.photo)


class ResourceForm(FlaskForm):
    """A room or piece of equipment (app/venues/resources.py): its name and how many there are."""

    name = text_field(
        _l("Name"),
        DataRequired(_l("Enter a name, like “Treatment room”.")),
        NAME_MAX,
        _l("Use at most 60 characters."),
    )
    quantity = _required_number(
        _l("How many"),
        default=1,
        bounds=(1, MAX_QUANTITY),
        messages=(_l("Enter how many you have."), _l("Enter how many you have: 1 to 50.")),
    )


class FAQForm(FlaskForm):
    question = text_field(_l("Question"), DataRequired("Enter the question."), 300, _l("Use at most 300 characters."))
    answer = text_field(
        _l("Answer"), DataRequired("Enter the answer."), 2000, _l("Use at most 2,000 characters."), field=TextAreaField
    )


class ImageUploadForm(FlaskForm):
    photo = FileField(_l("Photo"))
    alt_text = text_field(
        _l("Describe the photo (alt text)"),
        DataRequired("Describe the photo for people who can't see it (alt text)."),
        200,
        _l("Keep the description under 200 characters."),
    )

    def validate_photo(self, field: FileField) -> None:
        if not _has_file(field):
            raise ValidationError(_("Choose a photo to upload: JPEG, PNG or WebP."))


class AltTextForm(FlaskForm):
    alt_text = text_field(
        _l("Alt text"),
        DataRequired("Alt text is required: describe the photo for people who can't see it."),
        200,
        _l("Keep the description under 200 characters."),
    )
