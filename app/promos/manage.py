"""Managing promo codes: admins keep the platform's codes, a venue owner their venue's own.

Codes are deactivated, never deleted: orders and redemptions point at them. Every create,
change, deactivation and reactivation writes an audit row. A form is read here into plain
values, with a message a person understands for whatever is wrong; nothing is written then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit import service as audit
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.records import attributes
from app.platform.sqlutil import savepoint_or_refuse
from app.platform.timefmt import venue_zone
from app.promos.models import FundedBy, PromoCode, PromoKind
from app.promos.rules import CODE_MAX_LENGTH

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$")
CURRENCIES = ("GBP", "EUR", "USD")
MAX_FIXED_MINOR = 1_000_000  # 10,000.00 off is the most a fixed code takes
MAX_USES = 1_000_000
UK = venue_zone("Europe/London")


@dataclass(frozen=True)
class PromoTerms:
    """A code's terms, read from a form and checked."""

    kind: str
    value: int
    currency: str
    funded_by: str
    valid_from: datetime | None
    valid_until: datetime | None  # exclusive: the start of the day after the last valid day
    min_spend_minor: int
    max_uses_total: int | None
    max_uses_per_customer: int | None


def _money(text: str, label: str) -> int:
    text = (text or "").strip().lstrip("£€$").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("%(label)s: write an amount like 5 or 12.50.", label=label)) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or not amount.is_finite():
        raise ValidationFailed(_("%(label)s: write an amount like 5 or 12.50, not below zero.", label=label))
    return int(amount * 100)


def _whole(text: str, label: str, *, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValidationFailed(
            _(
                "%(label)s: a whole number from %(low)s to %(high)s, or leave it empty.",
                label=label,
                low=low,
                high=format(high, ","),
            )
        )
    return int(text)


def _day(text: str, label: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("%(label)s: choose a date.", label=label)) from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK)


def read_code(text: str | None) -> str:
    code = (text or "").strip()
    if not CODE_RE.match(code):
        raise ValidationFailed(
            _(
                "Code: 3 to %(code_max_length)s letters, digits, - or _, starting with a letter or digit (like "
                "SPRING10).",
                code_max_length=CODE_MAX_LENGTH,
            )
        )
    return code


def read_terms(form: dict[str, str], *, venue_currency: str | None = None) -> PromoTerms:
    """The terms in a submitted form; ``venue_currency`` for a venue's own code (venue-funded)."""
    kind = (form.get("kind") or "").strip()
    if kind not in (PromoKind.PERCENT, PromoKind.FIXED):
        raise ValidationFailed(_("Discount: choose a percentage or a fixed amount."))
    if venue_currency is None:
        currency = (form.get("currency") or "").strip().upper()
        if currency not in CURRENCIES:
            raise ValidationFailed(_("Currency: one of %(join)s.", join=", ".join(CURRENCIES)))
        funded_by = (form.get("funded_by") or "").strip()
        if funded_by not in (FundedBy.PLATFORM, FundedBy.VENUE):
            raise ValidationFailed(_("Paid for by: choose the platform or the venues."))
    else:
        currency, funded_by = venue_currency, FundedBy.VENUE
    if kind == PromoKind.PERCENT:
        value = _whole(form.get("amount", ""), "Percentage off", low=1, high=100)
        if value is None:
            raise ValidationFailed(_("Percentage off: a whole number from 1 to 100."))
    else:
        value = _money(form.get("amount", ""), "Amount off")
        if not 1 <= value <= MAX_FIXED_MINOR:
            raise ValidationFailed(_("Amount off: more than zero and at most 10,000."))
    first = _day(form.get("valid_from", ""), "Valid from")
    last = _day(form.get("valid_until", ""), "Valid until")
    if first and last and last < first:
        raise ValidationFailed(_("Valid until: the last day can't be before the first."))
    min_spend = _money(form.get("min_spend") or "0", "Minimum spend")
    if min_spend > 100 * MAX_FIXED_MINOR:
        raise ValidationFailed(_("Minimum spend: at most 1,000,000."))
    total = _whole(form.get("max_uses_total", ""), "Uses in total", low=1, high=MAX_USES)
    per_customer = _whole(form.get("max_uses_per_customer", ""), "Uses per customer", low=1, high=MAX_USES)
    if total is not None and per_customer is not None and per_customer > total:
        raise ValidationFailed(_("Uses per customer: can't be more than the uses in total."))
    return PromoTerms(
        kind=kind,
        value=value,
        currency=currency,
        funded_by=funded_by,
        valid_from=_start_of(first) if first else None,
        valid_until=_start_of(last + timedelta(days=1)) if last else None,
        min_spend_minor=min_spend,
        max_uses_total=total,
        max_uses_per_customer=per_customer,
    )


# A code's terms the audit log keeps as they are (the dates as ISO text).
TERMS_AS_THEY_ARE = (
    "code",
    "kind",
    "value",
    "currency",
    "funded_by",
    "venue_id",
    "min_spend_minor",
    "max_uses_total",
    "max_uses_per_customer",
)


def _terms_data(code: PromoCode) -> dict:
    return {
        **attributes(code, *TERMS_AS_THEY_ARE),
        "valid_from": code.valid_from.isoformat() if code.valid_from else None,
        "valid_until": code.valid_until.isoformat() if code.valid_until else None,
    }


def _apply(code: PromoCode, terms: PromoTerms) -> None:
    for field in PromoTerms.__dataclass_fields__:
        setattr(code, field, getattr(terms, field))


def code_taken(code: str) -> bool:
    return db.session.scalar(select(PromoCode.id).where(func.lower(PromoCode.code) == code.lower())) is not None


def create_code(code: str, terms: PromoTerms, *, venue_id: int | None, actor_id: int) -> PromoCode:
    code = read_code(code)
    if code_taken(code):
        raise ValidationFailed(_("Code: %(code)s is taken (capitals don't count). Choose another.", code=code))
    if venue_id is not None and terms.funded_by != FundedBy.VENUE:
        raise ValidationFailed(_("A venue's own code is paid for by the venue."))
    row = PromoCode(code=code, venue_id=venue_id, created_by_id=actor_id, uses_count=0, active=True)
    _apply(row, terms)
    # The same code, made a moment ago by someone else.
    with savepoint_or_refuse(
        ValidationFailed(_("Code: %(code)s is taken (capitals don't count). Choose another.", code=code)),
        constraint="uq_promo_codes_code_lower",
    ):
        db.session.add(row)
    audit.record("promo.create", actor_id=actor_id, about=("promo_code", row.id), **_terms_data(row))
    return row


def update_code(row: PromoCode, terms: PromoTerms, *, actor_id: int) -> PromoCode:
    """Change a code's terms (its spelling and venue stay). Orders already made keep theirs."""
    row = lock(row.id)
    if terms.max_uses_total is not None and terms.max_uses_total < row.uses_count:
        raise ValidationFailed(
            _(
                "Uses in total: %(uses_count)s orders use this code now, so the limit can't be lower than that.",
                uses_count=row.uses_count,
            )
        )
    before = _terms_data(row)
    _apply(row, terms)
    db.session.flush()
    after = _terms_data(row)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record("promo.update", actor_id=actor_id, about=("promo_code", row.id), changed=changed)
    return row


def set_active(row: PromoCode, active: bool, *, actor_id: int) -> PromoCode:
    row = lock(row.id)
    if row.active == active:
        return row
    row.active = active
    audit.record(
        "promo.reactivate" if active else "promo.deactivate",
        actor_id=actor_id,
        about=("promo_code", row.id),
        from_state="inactive" if active else "active",
        to_state="active" if active else "inactive",
        code=row.code,
    )
    return row


def lock(code_id: int) -> PromoCode:
    return db.session.scalars(
        select(PromoCode).where(PromoCode.id == code_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def get_codes(*, venue_id: int | None) -> list[PromoCode]:
    """The platform's codes (``venue_id`` None) or one venue's, active first, newest first."""
    owner = PromoCode.venue_id.is_(None) if venue_id is None else PromoCode.venue_id == venue_id
    return list(
        db.session.scalars(select(PromoCode).where(owner).order_by(PromoCode.active.desc(), PromoCode.id.desc()))
    )
