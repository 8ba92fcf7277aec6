"""Tips: who may tip for which visit, how much, starting one, and recording it paid.

A tip is an ``Order`` without bookings held like a checkout's (HOLD_MINUTES), with a ``Tip``
beside it; the caller starts its payment (``app.payments.service.start_payment``). When the
gateway's paid event is settled, ``order_lifecycle.confirm_paid`` fires ``order_paid`` and
``record_paid`` sets the tip's ``paid_at``: under the order's row lock, only on the order's move
to paid, so a replayed event never records it twice. The rules (docs/tips.md):

- a tip is for a visit that happened: the customer's own booking, confirmed or completed, ended,
  and at most ``TIP_WINDOW_DAYS`` (default 14) days ago; never a no-show, a cancelled, a held or
  a future booking, nor a move's hold;
- one tip per booking: once one is paid (even if refunded later) no other; while one waits for
  payment (its order still held) no second one is started;
- the amount is at least ``TIP_MIN_MINOR`` (£1) and at most the greater of ``TIP_MAX_MINOR``
  (£200) and the booking's price; presets are 10, 15 and 20% of the price, rounded to the penny.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.booking import events, order_lifecycle
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.booking.order_lifecycle import PAID_STATES
from app.platform.errors import InvalidTransition, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.tips.models import Tip

PRESETS = (10, 15, 20)  # percent of the booking's price
TIPPABLE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


def window_days() -> int:
    return current_app.config["TIP_WINDOW_DAYS"]


def min_minor() -> int:
    return current_app.config["TIP_MIN_MINOR"]


def max_minor(booking: Booking) -> int:
    """The most one tip may be: the greater of TIP_MAX_MINOR (£200) and the booking's price."""
    return max(current_app.config["TIP_MAX_MINOR"], booking.total_minor)


def recipient_name(booking: Booking) -> str:
    """Whom the tip thanks: the team member who did the treatment, else the venue."""
    return booking.team_member.name if booking.team_member is not None else booking.venue.name


@dataclass(frozen=True)
class Preset:
    percent: int
    amount_minor: int
    label: str


def presets(booking: Booking) -> list[Preset]:
    """10, 15 and 20% of the booking's price (half a penny up), each at least the minimum."""
    found = []
    for percent in PRESETS:
        amount = max((booking.total_minor * percent + 50) // 100, min_minor())
        found.append(Preset(percent, amount, format_money(amount, booking.currency)))
    return found


def parse_pounds(raw: str | None) -> int:
    """ "5", "5.5" or "5.50" (pounds, at most two decimals) -> 500, 550, 550; a clear refusal otherwise."""
    text = (raw or "").strip().lstrip("£").strip()
    if not text:
        raise ValidationFailed(_("Choose a tip or enter an amount."), field="amount")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("Enter the tip in pounds, like 5 or 7.50."), field="amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationFailed(_("Enter the tip in pounds, like 5 or 7.50."), field="amount")
    if value <= 0:
        raise ValidationFailed(_("A tip is more than nothing: enter at least £1."), field="amount")
    if value > 10**6:
        raise ValidationFailed(_("That tip is more than we can take."), field="amount")
    return int(value * 100)


def chosen_amount(booking: Booking, preset: str | None, amount: str | None) -> int:
    """The amount the form asks for: a preset's (``"10"``, ``"15"``, ``"20"``) or the pounds typed."""
    preset = (preset or "").strip()
    if preset and preset != "other":
        match = next((p for p in presets(booking) if str(p.percent) == preset), None)
        if match is None:
            raise ValidationFailed(_("Choose 10%, 15% or 20%, or enter an amount."), field="preset")
        return match.amount_minor
    return parse_pounds(amount)


def check_amount(booking: Booking, amount_minor: int) -> None:
    low, high = min_minor(), max_minor(booking)
    if not low <= amount_minor <= high:
        raise ValidationFailed(
            _(
                "A tip is between %(low)s and %(high)s.",
                low=format_money(low, booking.currency),
                high=format_money(high, booking.currency),
            ),
            field="amount",
        )


# -- who may tip ----------------------------------------------------------------------------------


def get_tips(booking_id: int) -> list[Tip]:
    """The booking's tips, newest first, each with its order (one statement)."""
    return list(
        db.session.scalars(
            select(Tip)
            .join(Order, Order.id == Tip.order_id)
            .options(contains_eager(Tip.order))
            .where(Tip.booking_id == booking_id)
            .order_by(Tip.id.desc())
        )
    )


def paid_among(tips: list[Tip]) -> Tip | None:
    return next((t for t in tips if t.order.status in PAID_STATES), None)


def waiting_among(tips: list[Tip], now: datetime) -> Tip | None:
    """A tip whose order still waits for payment within its hold."""
    return next(
        (t for t in tips if t.order.status == OrderStatus.PENDING_PAYMENT and t.order.hold_expires_at > now), None
    )


def get_paid_tip(booking_id: int) -> Tip | None:
    return paid_among(get_tips(booking_id))


def get_waiting_tip(booking_id: int, now: datetime) -> Tip | None:
    return waiting_among(get_tips(booking_id), now)


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str | None = None
    until: datetime | None = None  # the last moment to tip
    shown: bool = True  # False: the booking page says nothing about tips (not a visit that happened)


def eligibility(
    booking: Booking, customer: User | None, now: datetime, *, tips: list[Tip] | None = None
) -> Eligibility:
    """Whether ``customer`` may tip for ``booking`` now, and why not (``tips``: the booking's,
    when the caller has read them already)."""
    if customer is None or booking.customer_id is None or booking.customer_id != customer.id:
        return Eligibility(False, _("Only the customer who booked can tip for this visit."), shown=False)
    if booking.moves_booking_id is not None or booking.status not in TIPPABLE:
        if booking.status == BookingStatus.NO_SHOW:
            reason = _("This booking was marked as a no-show, so there is no visit to tip for.")
        elif booking.status.startswith("cancelled"):
            reason = _("This booking was cancelled, so there is no visit to tip for.")
        else:
            reason = _("You can tip once your visit has happened.")
        return Eligibility(False, reason, shown=False)
    if booking.ends_at > now:
        return Eligibility(False, _("You can tip once your visit has happened."), shown=False)
    until = booking.ends_at + timedelta(days=window_days())
    if now > until:
        return Eligibility(
            False, _("Tips can be added up to %(days)s days after the visit.", days=window_days()), until=until
        )
    tips = get_tips(booking.id) if tips is None else tips
    if paid_among(tips) is not None:
        return Eligibility(False, _("You have already left a tip for this visit. Thank you!"), until=until)
    waiting = waiting_among(tips, now)
    if waiting is not None:
        return Eligibility(
            False,
            _(
                "Your tip of %(amount)s is waiting for payment: pay it, or choose again once it lapses.",
                amount=format_money(waiting.amount_minor, waiting.currency),
            ),
            until=until,
        )
    return Eligibility(True, until=until)


def start_tip(customer: User, booking: Booking, amount_minor: int, *, now: datetime | None = None) -> Tip:
    """A tip waiting for payment: its order held like a checkout's. Under the booking's row lock,
    so two tips for one visit started at once can't both pass the checks."""
    now = now or datetime.now(UTC)
    locked = db.session.scalar(select(Booking).where(Booking.id == booking.id).with_for_update())
    if locked is None:
        raise NotFound(_("We couldn't find that booking."))
    if locked.customer_id != customer.id:
        raise NotFound(_("We couldn't find that booking."))
    verdict = eligibility(locked, customer, now)
    if not verdict.allowed:
        raise InvalidTransition(verdict.reason or "")
    check_amount(locked, amount_minor)
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = order_lifecycle.hold(customer, currency=locked.currency, hold_until=hold_until)
    order.total_minor = amount_minor
    db.session.flush()
    tip = Tip(
        order_id=order.id,
        booking_id=locked.id,
        venue_id=locked.venue_id,
        team_member_id=locked.team_member_id,
        team_member_name=locked.team_member.name if locked.team_member is not None else None,
        customer_id=customer.id,
        amount_minor=amount_minor,
        currency=locked.currency,
    )
    db.session.add(tip)
    db.session.flush()
    return tip


# -- paid -----------------------------------------------------------------------------------------


def get_tip_of_order(order: Order) -> Tip | None:
    """The tip an order pays for, or None (an order with bookings never is one)."""
    if order.bookings:
        return None
    return db.session.scalar(select(Tip).where(Tip.order_id == order.id))


@events.order_paid.connect
def record_when_paid(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    record_paid(order, now=now)


def record_paid(order: Order, *, now: datetime) -> Tip | None:
    """``order`` is paid (``order_paid``): a tip's ``paid_at`` is set, once."""
    tip = get_tip_of_order(order)
    if tip is None or tip.paid_at is not None:
        return tip
    tip.paid_at = now
    return tip
