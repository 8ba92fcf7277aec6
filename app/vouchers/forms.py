"""The gift voucher forms: everything typed is parsed here or refused with a message."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from app.platform.form_fields import text_field
from app.platform.input_guard import MAX_ID
from app.venues.addons import MAX_ADDONS
from app.vouchers.treatments import TreatmentWish


def preset_choices() -> list[tuple[str, str]]:
    presets = current_app.config["VOUCHER_PRESETS_MINOR"]
    return [(str(minor), f"£{minor // 100}") for minor in presets] + [("custom", "Another amount")]


class GiftFields(FlaskForm):
    """Who a gift is for and from, and a message: the same for an amount and a treatment."""

    recipient_name = text_field(
        _l("Their name"), InputRequired("Tell us who it's for."), 100, _l("Keep the name under 100 characters.")
    )
    recipient_email = EmailField(
        _l("Their email"),
        validators=[
            InputRequired("We email the voucher to them: enter their email."),
            Email("Check their email address."),
            Length(max=254),
        ],
    )
    sender_name = text_field(
        _l("From"), InputRequired("Tell them who it's from."), 100, _l("Keep the name under 100 characters.")
    )
    message = text_field(
        _l("Message (optional)"), None, 500, _l("Keep the message under 500 characters."), field=TextAreaField
    )

    def first_error(self) -> str:
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return _("Check the form.")


class BuyVoucherForm(GiftFields):
    amount = RadioField(_l("Amount"), validators=[InputRequired("Choose an amount.")])
    custom_pounds = StringField(_l("Another amount (£)"))  # read only when "Another amount" is chosen
    venue_id = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.amount.choices = preset_choices()

    def validate_custom_pounds(self, field) -> None:
        if self.amount.data != "custom":
            return
        low, high = current_app.config["VOUCHER_MIN_MINOR"] // 100, current_app.config["VOUCHER_MAX_MINOR"] // 100
        raw = (field.data or "").strip().removeprefix("£")
        if not raw.isdigit() or len(raw) > 6 or not low <= int(raw) <= high:
            raise ValidationError(_("Choose a whole amount between £%(low)s and £%(high)s.", low=low, high=high))

    def validate_venue_id(self, field) -> None:
        raw = (field.data or "").strip()
        if raw and (not raw.isdigit() or not 1 <= int(raw) <= MAX_ID):
            raise ValidationError(_("That venue can't be found."))

    @property
    def amount_minor(self) -> int:
        if self.amount.data == "custom":
            return int(self.custom_pounds.data.strip().removeprefix("£")) * 100
        return int(self.amount.data)

    @property
    def venue(self) -> int | None:
        raw = (self.venue_id.data or "").strip()
        return int(raw) if raw else None


class VoucherCodeForm(FlaskForm):
    voucher_code = text_field(
        _l("Gift voucher code"), InputRequired("Enter a gift voucher code."), 40, _l("That code is too long.")
    )


def parse_id(raw: str | None) -> int | None:
    """A row id as typed in a form or URL: None when empty; ValueError when it isn't one."""
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ValueError(text)
    return int(text)


def parse_ids(values: list[str]) -> tuple[int, ...]:
    """Several row ids (at most ``MAX_ADDONS``); ValueError for an empty or unreadable one, or too many."""
    if len(values) > MAX_ADDONS:
        raise ValueError(values)
    found = [parse_id(value) for value in values]
    ids = tuple(value for value in found if value is not None)
    if len(ids) != len(found):
        raise ValueError(values)
    return ids


BAD = -1  # what ``_id_or_bad`` says of text that isn't an id


def _id_or_bad(raw: str | None) -> int | None:
    try:
        return parse_id(raw)
    except ValueError:
        return BAD


class BuyTreatmentForm(GiftFields):
    """A treatment gift: the venue's service, its option and add-ons, as ids; the service
    checks they belong together (app/vouchers/treatments.py)."""

    venue_id = HiddenField()
    service_id = HiddenField()
    option_id = StringField()  # empty: the service's standard option
    addon_ids = SelectMultipleField(validate_choice=False)

    def validate_venue_id(self, field) -> None:
        if _id_or_bad(field.data) in (None, BAD):
            raise ValidationError(_("That venue can't be found."))

    def validate_service_id(self, field) -> None:
        found = _id_or_bad(field.data)
        if found is None:
            raise ValidationError(_("Choose a treatment to give."))
        if found == BAD:
            raise ValidationError(_("That treatment can't be found."))

    def validate_option_id(self, field) -> None:
        if _id_or_bad(field.data) == BAD:
            raise ValidationError(_("That option can't be found."))

    def validate_addon_ids(self, field) -> None:
        try:
            parse_ids(field.data or [])
        except ValueError:
            raise ValidationError(_("That add-on can't be found.")) from None

    def wish_or_none(self) -> TreatmentWish | None:
        """What was chosen, if every id at least reads as one (to show the choice again)."""
        try:
            service_id = parse_id(self.service_id.data)
            option_id = parse_id(self.option_id.data)
            addon_ids = parse_ids(self.addon_ids.data or [])
        except ValueError:
            return None
        return TreatmentWish(service_id, option_id, addon_ids) if service_id is not None else None

    @property
    def venue(self) -> int:
        return int(self.venue_id.data.strip())

    @property
    def service(self) -> int:
        return int(self.service_id.data.strip())

    @property
    def option(self) -> int | None:
        return parse_id(self.option_id.data)

    @property
    def addons(self) -> tuple[int, ...]:
        return parse_ids(self.addon_ids.data or [])
