"""A venue's membership form (app/memberships/views/provider.py): the fields as typed, and reading
them into a ``PlanInput``. What is typed is read here (whole numbers, a monthly price in pounds);
whether it makes a plan the venue may offer (its own service, the ranges, at least one benefit)
is ``plans.check_plan``'s to say. Every refusal names its field."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app.memberships.models import MembershipPlan
from app.memberships.plans import PlanInput
from app.packages.forms import pounds_text, whole_number
from app.platform.errors import ValidationFailed

# The form's fields, in the order a refusal is shown by them ("price" is also the one
# ``check_plan`` names for ``price_minor``).
FIELDS = ("name", "price", "included_sessions", "included_service_id", "discount_percent")


class PlanForm(FlaskForm):
    name = StringField(_l("Membership name"), validators=[Length(max=200)])
    price = StringField(_l("Price a month (£)"), validators=[Length(max=16)])
    included_sessions = StringField(_l("Sessions included each month"), validators=[Length(max=12)])
    included_service_id = StringField(_l("Sessions of"), validators=[Length(max=12)])
    discount_percent = StringField(_l("Member's discount (%)"), validators=[Length(max=12)])


def parse_monthly_price(raw: str | None) -> int:
    """ "99", "99.5" or "£99.50" (pounds, at most two decimals) -> 9900, 9950, 9950."""
    text = (raw or "").strip().lstrip("£").strip().replace(",", "")
    if not text:
        raise ValidationFailed(_("Enter the monthly price."), field="price")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("Enter the price in pounds, like 99 or 99.50."), field="price") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationFailed(_("Enter the price in pounds, like 99 or 99.50."), field="price")
    if value <= 0 or value > 100_000:
        raise ValidationFailed(_("Enter the monthly price."), field="price")
    return int(value * 100)


def _count(raw: str | None, *, field: str, message: str) -> int:
    """A whole number, or 0 when the field is left empty (no sessions, no discount)."""
    text = (raw or "").strip().rstrip("%").strip()
    return whole_number(text, field=field, message=message) if text else 0


def read_plan(form: PlanForm) -> PlanInput:
    """The plan the form asks for; a field typed wrong is refused by its name."""
    service = (form.included_service_id.data or "").strip()
    return PlanInput(
        name=form.name.data or "",
        price_minor=parse_monthly_price(form.price.data),
        included_sessions=_count(
            form.included_sessions.data,
            field="included_sessions",
            message=_("Enter the sessions a month as a whole number, like 2."),
        ),
        included_service_id=whole_number(
            service, field="included_service_id", message=_("Choose which of your services the sessions are of.")
        )
        if service
        else None,
        discount_percent=_count(
            form.discount_percent.data,
            field="discount_percent",
            message=_("Enter the discount as a whole number, like 10."),
        ),
    )


def form_of(plan: MembershipPlan) -> PlanForm:
    """The form filled in with ``plan`` as it is."""
    return PlanForm(
        formdata=None,
        data={
            "name": plan.name,
            "price": pounds_text(plan.price_minor),
            "included_sessions": str(plan.included_sessions),
            "included_service_id": str(plan.included_service_id) if plan.included_service_id is not None else "",
            "discount_percent": str(plan.discount_percent),
        },
    )
