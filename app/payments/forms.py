"""Forms for the payment pages: the Demo checkout's card form and the admin refund form.

Amounts are never read from the card form: the server charges what the held bookings cost.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

# The Demo gateway's test cards, as Stripe's test mode knows them.
PAYS = "4242424242424242"
DECLINED = "4000000000000002"
TEST_CARDS = {PAYS: "paid", DECLINED: "declined"}
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
    card_number = StringField("Card number", validators=[InputRequired("Enter the card number.")])
    expiry = StringField("Expiry date (MM/YY)", validators=[InputRequired("Enter the expiry date as MM/YY.")])
    cvc = StringField("Security code (CVC)", validators=[InputRequired("Enter the 3 or 4 digit security code.")])

    outcome: str = ""

    def validate_card_number(self, field: StringField) -> None:
        digits = re.sub(r"[\s-]", "", field.data or "")
        if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise ValidationError("Enter the card number: 12 to 19 digits, spaces allowed.")
        if not luhn_ok(digits):
            raise ValidationError("That card number isn't valid. Check it for typing mistakes.")
        if digits not in TEST_CARDS:
            raise ValidationError(
                "This demo checkout takes test cards only: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined."
            )
        self.outcome = TEST_CARDS[digits]

    def validate_expiry(self, field: StringField) -> None:
        match = _EXPIRY_RE.fullmatch((field.data or "").strip())
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise ValidationError("Enter the expiry date as MM/YY, for example 12/34.")
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        today = datetime.now(UTC).date()
        if (year, month) < (today.year, today.month):
            raise ValidationError("This card has expired. Use a card with a future expiry date.")
        if year > today.year + 25:
            raise ValidationError("That expiry date is too far ahead. Check the year.")

    def validate_cvc(self, field: StringField) -> None:
        value = (field.data or "").strip()
        if not (value.isascii() and value.isdigit() and len(value) in (3, 4)):
            raise ValidationError("The security code is the 3 or 4 digits on the back of the card.")


class RefundForm(FlaskForm):
    amount = StringField("Amount to refund", validators=[InputRequired("Enter the amount to refund.")])
    reason = TextAreaField(
        "Reason",
        validators=[
            InputRequired("Give a reason for the refund; it's kept with the order."),
            Length(max=200, message="Keep the reason under 200 characters."),
        ],
    )

    amount_minor: int = 0

    def validate_amount(self, field: StringField) -> None:
        text = (field.data or "").strip().lstrip("£€$").replace(",", "")
        if not _AMOUNT_RE.fullmatch(text):
            raise ValidationError("Enter the amount like 12.50 (up to two decimal places).")
        try:
            minor = int(Decimal(text) * 100)
        except InvalidOperation:
            raise ValidationError("Enter the amount like 12.50 (up to two decimal places).") from None
        if minor <= 0:
            raise ValidationError("The amount must be more than zero.")
        self.amount_minor = minor

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Give a reason for the refund; it's kept with the order.")
