"""Forms for the payment pages: the Demo checkout's card form and the admin refund form.

Amounts are never read from the card form: the server charges what the held bookings cost.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

# The Demo gateway's test cards, as Stripe's test mode knows them.
PAYS = "4242424242424242"
DECLINED = "4000000000000002"
SAVED_THEN_DECLINED = "4000000000000341"  # pays now and is saved, but later fees are declined
NEEDS_AUTHENTICATION = "4000002760003184"  # pays now and is saved, but later fees need the customer
TEST_CARDS = {PAYS: "paid", DECLINED: "declined", SAVED_THEN_DECLINED: "paid", NEEDS_AUTHENTICATION: "paid"}
_EXPIRY_RE = re.compile(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})")
_AMOUNT_RE = re.compile(r"\d{1,7}(\.\d{1,2})?")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class DemoCardForm(FlaskForm):
    card_number = StringField(_l("Card number"), validators=[InputRequired("Enter the card number.")])
    expiry = StringField(_l("Expiry date (MM/YY)"), validators=[InputRequired("Enter the expiry date as MM/YY.")])
    cvc = StringField(_l("Security code (CVC)"), validators=[InputRequired("Enter the 3 or 4 digit security code.")])

    outcome: str = ""
    last4: str = ""

    def validate_card_number(self, field: StringField) -> None:
        digits = re.sub(r"[\s-]", "", field.data or "")
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise ValidationError(_("Enter the card number: 12 to 19 digits, spaces allowed."))
        if not luhn_ok(digits):
            raise ValidationError(_("That card number isn't valid. Check it for typing mistakes."))
        if digits not in TEST_CARDS:
            raise ValidationError(
                _(
                    "This demo checkout takes test cards only: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is "
                    "declined, 4000 0000 0000 0341 and 4000 0027 6000 3184 pay now but later fees fail."
                )
            )
        self.outcome = TEST_CARDS[digits]
        self.last4 = digits[-4:]

    def validate_expiry(self, field: StringField) -> None:
        match = _EXPIRY_RE.fullmatch((field.data or "").strip())
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise ValidationError(_("Enter the expiry date as MM/YY, for example 12/34."))
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        today = datetime.now(UTC).date()
        if (year, month) < (today.year, today.month):
            raise ValidationError(_("This card has expired. Use a card with a future expiry date."))
        if year > today.year + 25:
            raise ValidationError(_("That expiry date is too far ahead. Check the year."))

    def validate_cvc(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if not (value.isascii() and value.isdigit() and len(value) in (3, 4)):
            raise ValidationError(_("The security code is the 3 or 4 digits on the back of the card."))


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund"), validators=[InputRequired("Enter the amount to refund.")])
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired("Give a reason for the refund; it's kept with the order."),
            Length(max=200, message=_l("Keep the reason under 200 characters.")),
        ],
    )

    amount_minor: int = 0

    def validate_amount(self, field: StringField) -> None:
        text = (field.data or "").strip().lstrip("£€$").replace(",", "")
        if not _AMOUNT_RE.fullmatch(text):
            raise ValidationError(_("Enter the amount like 12.50 (up to two decimal places)."))
        try:
            minor = int(Decimal(text) * 100)
        except InvalidOperation:
            raise ValidationError(_("Enter the amount like 12.50 (up to two decimal places).")) from None
        if minor <= 0:
            raise ValidationError(_("The amount must be more than zero."))
        self.amount_minor = minor

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_("Give a reason for the refund; it's kept with the order."))
