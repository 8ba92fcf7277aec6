"""The gift voucher forms: everything typed is parsed here or refused with a message."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from app.platform.form_fields import text_field
from app.platform.input_guard import MAX_ID


def preset_choices() -> list[tuple[str, str]]:
    presets = current_app.config["VOUCHER_PRESETS_MINOR"]
    return [(str(minor), f"£{minor // 100}") for minor in presets] + [("custom", "Another amount")]


class BuyVoucherForm(FlaskForm):
    amount = RadioField(_l("Amount"), validators=[InputRequired("Choose an amount.")])
    custom_pounds = StringField(_l("Another amount (£)"))  # read only when "Another amount" is chosen
    venue_id = HiddenField()
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

    def first_error(self) -> str:
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return _("Check the form.")


class VoucherCodeForm(FlaskForm):
    voucher_code = text_field(
        _l("Gift voucher code"), InputRequired("Enter a gift voucher code."), 40, _l("That code is too long.")
    )
