"""Using a promo code: the code in a customer's cart, its use at checkout, and giving a use
back when the order is never paid.

Limits are enforced by the database under concurrent checkouts:
- checkout locks the code's row (``SELECT ... FOR UPDATE``) after the service rows (always
  in that order, so two checkouts never deadlock), re-reads it and counts the customer's live
  uses under that lock; two checkouts of one code take turns here;
- ``promo_codes.uses_count`` counts live uses, and a CHECK keeps it within
  ``max_uses_total`` whatever the code does;
- a partial unique index allows one live use per customer of a code usable once each.
Whoever commits first wins; the others are refused with the reason ("The code X has been
used up") and their checkout changes nothing: no order, no hold, the cart as it was.

A redemption is ``active`` from checkout; an order that is never paid (declined, abandoned,
expired, changed) releases it, so limits count only live uses. Money that arrives late for a
released order takes the use back when the limits still allow, and is honoured either way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.booking.models import Booking, CartItem, Order
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.promos.models import CartPromo, FundedBy, PromoCode, PromoRedemption, RedemptionStatus
from app.promos.rules import PricedLine, allocate, discount_for, eligible, normalise, refusal
from app.venues.models import Venue


class PromoRefused(ValidationFailed):
    """A code that can't be used, with the reason."""


# -- finding codes and counting uses -------------------------------------------------------------


def find_code(text: str | None) -> PromoCode | None:
    code = normalise(text)
    if not code:
        return None
    return db.session.scalar(select(PromoCode).where(func.lower(PromoCode.code) == code.lower()))


def count_customer_uses(code_id: int, customer_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(PromoRedemption)
        .where(
            PromoRedemption.promo_code_id == code_id,
            PromoRedemption.customer_id == customer_id,
            PromoRedemption.status == RedemptionStatus.ACTIVE,
        )
    )


def venue_name(code: PromoCode) -> str | None:
    return db.session.scalar(select(Venue.name).where(Venue.id == code.venue_id)) if code.venue_id else None


def why_not(code: PromoCode, lines: list[PricedLine], *, customer_id: int, currency: str, now: datetime) -> str | None:
    return refusal(
        code,
        lines,
        currency=currency,
        now=now,
        uses_by_customer=count_customer_uses(code.id, customer_id),
        venue_name=venue_name(code),
    )


# -- the code in the cart -------------------------------------------------------------------------


def get_cart_promo(user_id: int) -> CartPromo | None:
    return db.session.get(CartPromo, user_id)


def add_to_cart(user_id: int, text: str | None, lines: list[PricedLine], *, currency: str, now: datetime) -> PromoCode:
    """Put the code in the customer's cart (replacing another), or raise PromoRefused saying why."""
    typed = normalise(text)
    if not typed:
        raise PromoRefused(_("Type a promo code."))
    if len(typed) > 32:
        raise PromoRefused(_("A promo code has at most 32 characters."))
    code = find_code(typed)
    if code is None:
        raise PromoRefused(_("There is no promo code %(typed)s. Check its spelling.", typed=typed))
    if not lines:
        raise PromoRefused(_("Add something to your cart first, then your promo code."))
    problem = why_not(code, lines, customer_id=user_id, currency=currency, now=now)
    if problem:
        raise PromoRefused(problem)
    chosen = get_cart_promo(user_id)
    if chosen is None:
        db.session.add(CartPromo(user_id=user_id, promo_code_id=code.id))
    else:
        chosen.promo_code_id = code.id
        chosen.added_at = now
    db.session.flush()
    return code


def remove_from_cart(user_id: int) -> PromoCode | None:
    """Take the code out of the cart; returns it (None if there was none)."""
    chosen = get_cart_promo(user_id)
    if chosen is None:
        return None
    code = chosen.promo_code
    db.session.delete(chosen)
    db.session.flush()
    return code


# -- checkout ---------------------------------------------------------------------------------------


def first_look(customer_id: int, items: list[CartItem], *, currency: str, now: datetime) -> int | None:
    """Before any lock: the id of the cart's code (None without one); refuses a checkout whose
    code plainly can't be used (nothing written)."""
    chosen = get_cart_promo(customer_id)
    if chosen is None:
        return None
    lines = [PricedLine(i.service.venue_id, i.service.price_minor * i.quantity) for i in items]
    problem = why_not(chosen.promo_code, lines, customer_id=customer_id, currency=currency, now=now)
    if problem:
        raise PromoRefused(problem)
    return chosen.promo_code_id


def redeem(order: Order, code_id: int | None, *, now: datetime | None = None) -> PromoRedemption | None:
    """Apply the code the customer's cart had at ``first_look`` to ``order`` (just held, inside
    checkout's savepoint): lock the code, check it again, share the discount over the bookings
    and record the use. The code is applied even if a concurrent checkout of the same cart
    took it out meanwhile: the limits, counted under the lock, decide.

    Raises PromoRefused (the caller's savepoint then undoes the order) when it can't be used."""
    now = now or datetime.now(UTC)
    if code_id is None:
        return None
    code = db.session.scalars(
        select(PromoCode).where(PromoCode.id == code_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    bookings = list(db.session.scalars(select(Booking).where(Booking.order_id == order.id).order_by(Booking.id)))
    lines = [PricedLine(b.venue_id, b.total_minor) for b in bookings]
    problem = why_not(code, lines, customer_id=order.customer_id, currency=order.currency, now=now)
    if problem:
        raise PromoRefused(problem)
    discounted = [bookings[i] for i in eligible(code, lines)]
    # A code discounts only what is paid online (a deposit, or nothing for pay-at-the-venue):
    # the part due at the venue is never discounted (docs/deposits.md).
    discount = online_discount(discount_for(code, sum(b.total_minor for b in discounted)), discounted)
    if discount <= 0:
        raise PromoRefused(
            _(
                "The code %(code)s only takes money off what is paid online, and these items are paid at the venue.",
                code=code.code,
            )
        )
    for booking, share in zip(discounted, allocate(discount, [b.online_minor for b in discounted]), strict=True):
        booking.promo_discount_minor = share
    order.promo_code = code.code
    order.promo_discount_minor = discount
    redemption = PromoRedemption(
        promo_code_id=code.id,
        order_id=order.id,
        customer_id=order.customer_id,
        discount_minor=discount,
        once_per_customer=code.max_uses_per_customer == 1,
    )
    code.uses_count += 1
    db.session.add(redemption)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # the database's own limits: a race the lock did not cover
        text = str(exc.orig)
        if "uses_within_limit" in text:
            raise PromoRefused(_("The code %(code_code)s has been used up.", code_code=code.code)) from None
        if "once_per_customer" in text:
            raise PromoRefused(_("You have already used the code %(code_code)s.", code_code=code.code)) from None
        raise
    chosen = get_cart_promo(order.customer_id)
    if chosen is not None and chosen.promo_code_id == code.id:
        db.session.delete(chosen)  # the code leaves the cart with its items
    return redemption


def online_discount(discount_minor: int, bookings: list[Booking]) -> int:
    """A code's discount, capped at what the discounted bookings pay online."""
    return min(discount_minor, sum(b.online_minor for b in bookings))


def get_redemption(order_id: int, *, lock: bool = False) -> PromoRedemption | None:
    query = select(PromoRedemption).where(PromoRedemption.order_id == order_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _lock_code(code_id: int) -> PromoCode:
    return db.session.scalars(
        select(PromoCode).where(PromoCode.id == code_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def release(order: Order, *, now: datetime | None = None) -> bool:
    """The order will not be paid: its use of a code is given back, and the code goes back in
    the customer's cart with the items (unless they chose another meanwhile). Idempotent."""
    redemption = get_redemption(order.id, lock=True)
    if redemption is None or redemption.status != RedemptionStatus.ACTIVE:
        return False
    code = _lock_code(redemption.promo_code_id)
    redemption.status = RedemptionStatus.RELEASED
    redemption.released_at = now or datetime.now(UTC)
    code.uses_count -= 1
    if get_cart_promo(order.customer_id) is None:
        db.session.add(CartPromo(user_id=order.customer_id, promo_code_id=code.id))
    db.session.flush()
    return True


def take_back(order: Order) -> bool:
    """Money came late for a released order and confirmed it: its use counts again if the
    limits still allow (the price paid is honoured either way). Returns whether it counts."""
    redemption = get_redemption(order.id, lock=True)
    if redemption is None or redemption.status == RedemptionStatus.ACTIVE:
        return redemption is not None
    code = _lock_code(redemption.promo_code_id)
    chosen = get_cart_promo(order.customer_id)
    if chosen is not None and chosen.promo_code_id == code.id:
        db.session.delete(chosen)  # it came back to the cart with the items, which leave it too
    try:
        with db.session.begin_nested():
            redemption.status = RedemptionStatus.ACTIVE
            redemption.released_at = None
            code.uses_count += 1
            db.session.flush()
    except IntegrityError:
        db.session.refresh(redemption)
        db.session.refresh(code)
        return False
    return True


# -- for payouts --------------------------------------------------------------------------------------


def promo_allocation(order: Order) -> dict[int, int]:
    """Each venue's share of the order's promo discount, in minor units: ``{venue_id: share}``.

    Only venues with a share are listed; the shares add up exactly to
    ``order.promo_discount_minor`` (each booking's share was fixed at checkout by the largest
    remainder, in proportion to its price). Who pays for it: ``promo_funded_by(order)``."""
    shares: dict[int, int] = {}
    for venue_id, share in db.session.execute(
        select(Booking.venue_id, func.sum(Booking.promo_discount_minor))
        .where(Booking.order_id == order.id, Booking.promo_discount_minor > 0)
        .group_by(Booking.venue_id)
        .order_by(Booking.venue_id)
    ):
        shares[venue_id] = int(share)
    return shares


def promo_funded_by(order: Order) -> FundedBy | None:
    """Who pays for the order's discount ("platform" or "venue"), None without a code."""
    funded = db.session.scalar(
        select(PromoCode.funded_by)
        .join(PromoRedemption, PromoRedemption.promo_code_id == PromoCode.id)
        .where(PromoRedemption.order_id == order.id)
    )
    return FundedBy(funded) if funded else None
