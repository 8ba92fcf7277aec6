"""A venue's package form (app/packages/views/provider.py): the fields as typed, and reading them
into an ``OfferInput``. What is typed is read here (whole numbers, a price in pounds); whether
it makes a package the venue may sell (its own service, an option of it, the ranges) is
``service.check_offer``'s to say. Every refusal names its field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app.packages.models import Package
from app.packages.service import OfferInput
from app.platform.errors import ValidationFailed

# The form's fields, in the order a refusal is shown by them ("price" is the one
# ``check_offer`` names for ``price_minor``).
FIELDS = ("name", "service_id", "option_id", "sessions", "valid_days", "price")


class PackageForm(FlaskForm):
    name = StringField(_l("Package name"), validators=[Length(max=200)])
    service_id = StringField(_l("Service"), validators=[Length(max=12)])
    option_id = StringField(_l("Option"), validators=[Length(max=12)])
    sessions = StringField(_l("Sessions"), validators=[Length(max=12)])
    valid_days = StringField(_l("Use within (days)"), validators=[Length(max=12)])
    price = StringField(_l("Price for the package (£)"), validators=[Length(max=16)])


def whole_number(raw: str | None, *, field: str, message: str) -> int:
    """ "5" -> 5; anything but digits is refused with ``message``, naming ``field``."""
    text = (raw or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed(message, field=field)
    return int(text)


def parse_price(raw: str | None) -> int:
    """ "300", "299.5" or "£299.50" (pounds, at most two decimals) -> 30000, 29950, 29950."""
    text = (raw or "").strip().lstrip("£").strip().replace(",", "")
    if not text:
        raise ValidationFailed(_("Enter a price for the whole package."), field="price")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("Enter the price in pounds, like 300 or 299.50."), field="price") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationFailed(_("Enter the price in pounds, like 300 or 299.50."), field="price")
    if value <= 0 or value > 10**7:
        raise ValidationFailed(_("Enter a price for the whole package."), field="price")
    return int(value * 100)


def read_offer(form: PackageForm) -> OfferInput:
    """The package the form asks for; a field typed wrong is refused by its name."""
    option = (form.option_id.data or "").strip()
    return OfferInput(
        service_id=whole_number(form.service_id.data, field="service_id", message=_("Choose one of your services.")),
        option_id=whole_number(option, field="option_id", message=_("Choose an option of that service, or any option."))
        if option
        else None,
        name=form.name.data or "",
        sessions=whole_number(
            form.sessions.data, field="sessions", message=_("Enter the number of sessions as a whole number, like 5.")
        ),
        valid_days=whole_number(
            form.valid_days.data, field="valid_days", message=_("Enter the number of days as a whole number, like 180.")
        ),
        price_minor=parse_price(form.price.data),
    )


def pounds_text(minor: int) -> str:
    """30000 -> "300", 29950 -> "299.50": a price as the form shows it again."""
    pounds, pence = divmod(minor, 100)
    return str(pounds) if pence == 0 else f"{pounds}.{pence:02d}"


def form_of(package: Package) -> PackageForm:
    """The form filled in with ``package`` as it is."""
    return PackageForm(
        formdata=None,
        data={
            "name": package.name,
            "service_id": str(package.service_id),
            "option_id": str(package.option_id) if package.option_id is not None else "",
            "sessions": str(package.sessions),
            "valid_days": str(package.valid_days),
            "price": pounds_text(package.price_minor),
        },
    )
