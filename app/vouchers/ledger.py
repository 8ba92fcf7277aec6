"""A voucher's money: its ledger of entries, and every movement of it.

    issue    +value    once, when its purchase is paid (app/vouchers/purchase.py)
    redeem   -amount   checkout applies it to an order (tied to the order)
    release  +amount   that order was released unpaid (declined, abandoned, expired, changed)
    refund   +amount   a cancellation refunded the part of the order the voucher paid

The balance is ``SUM(amount_minor)``, never a stored number. Every movement takes the
voucher's row lock first (``lock_voucher``) and reads the balance under it; the database
backs this up with a trigger that refuses any entry taking the sum below zero.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.booking.models import Order
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words, venue_zone
from app.vouchers.models import EntryKind, Voucher, VoucherEntry

UK = venue_zone("Europe/London")

# No 0/O, 1/I/L: a code read aloud or copied from paper survives. 16 characters of 31 is
# 79 bits: unguessable, and lookups are rate limited on top.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16


class VoucherRefused(ValidationFailed):
    """A code that can't pay: unknown, expired, empty, another currency, another venue."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str | None) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def display_code(code: str) -> str:
    """``ABCD-EFGH-JKMN-PQRS``: groups of four, easy to read and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def get_by_code(raw: str | None) -> Voucher | None:
    code = normalise_code(raw)
    if not looks_like_code(code):
        return None
    return db.session.scalar(select(Voucher).where(Voucher.code == code))


def lock_voucher(voucher_id: int) -> Voucher:
    """The voucher under its row lock: whoever waited sees the winner's entries."""
    query = select(Voucher).where(Voucher.id == voucher_id).with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(query).one()


def balance(voucher: Voucher) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(VoucherEntry.amount_minor), 0)).where(VoucherEntry.voucher_id == voucher.id)
    )


def balances(voucher_ids: list[int]) -> dict[int, int]:
    """Every voucher's balance in one query."""
    if not voucher_ids:
        return {}
    rows = db.session.execute(
        select(VoucherEntry.voucher_id, func.sum(VoucherEntry.amount_minor))
        .where(VoucherEntry.voucher_id.in_(voucher_ids))
        .group_by(VoucherEntry.voucher_id)
    )
    found = {voucher_id: int(total) for voucher_id, total in rows}
    return {voucher_id: found.get(voucher_id, 0) for voucher_id in voucher_ids}


def get_entries(voucher: Voucher) -> list[VoucherEntry]:
    return list(
        db.session.scalars(select(VoucherEntry).where(VoucherEntry.voucher_id == voucher.id).order_by(VoucherEntry.id))
    )


def is_expired(voucher: Voucher, now: datetime | None = None) -> bool:
    return voucher.expires_at <= (now or datetime.now(UTC))


def expiry_label(voucher: Voucher) -> str:
    """``22 November 2028, 21:30 UK time``: vouchers are sold in pounds, so UK time."""
    local = voucher.expires_at.astimezone(UK)
    return _("%(day)s, %(time)s UK time", day=day_words(local.date(), "d MMMM yyyy"), time=f"{local:%H:%M}")


def add_entry(voucher: Voucher, kind: EntryKind, amount_minor: int, *, order_id=None, booking_id=None, note="") -> None:
    db.session.add(
        VoucherEntry(
            voucher_id=voucher.id,
            kind=kind,
            amount_minor=amount_minor,
            order_id=order_id,
            booking_id=booking_id,
            note=note[:200],
        )
    )
    db.session.flush()  # the trigger checks the balance now, not at some later flush


def issue(voucher: Voucher) -> None:
    add_entry(voucher, EntryKind.ISSUE, voucher.value_minor, note="Bought")


# -- spending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    voucher: Voucher
    amount_minor: int
    balance_after_minor: int


def check_usable(voucher: Voucher | None, *, currency: str, now: datetime) -> Voucher:
    """The voucher if it can pay now, else VoucherRefused with a message a person understands."""
    if voucher is None:
        raise VoucherRefused(_("We don't know that gift voucher code. Check it and try again."), field="voucher_code")
    if is_expired(voucher, now):
        raise VoucherRefused(
            _(
                "This gift voucher expired on %(expiry_label)s, so it can't be used.",
                expiry_label=expiry_label(voucher),
            ),
            field="voucher_code",
        )
    if voucher.currency != currency:
        raise VoucherRefused(
            _(
                "This gift voucher is in %(currency)s; your cart is in %(currency2)s.",
                currency=voucher.currency,
                currency2=currency,
            ),
            field="voucher_code",
        )
    return voucher


def eligible_minor(order: Order, voucher: Voucher) -> int:
    """What of ``order`` the voucher may pay: all of it, or only its venue's items."""
    # Only what is paid online (less the promo code): the part due at the venue is paid there.
    if voucher.venue_id is None:
        return sum(b.paid_minor for b in order.bookings)
    return sum(b.paid_minor for b in order.bookings if b.venue_id == voucher.venue_id)


def apply_to_order(order: Order, code: str, *, now: datetime | None = None) -> Applied:
    """Spend as much of the voucher as the order can take: ``min(balance, eligible)``.

    Runs under the voucher's row lock, so concurrent checkouts spending one voucher queue
    here and each sees what the others took. A voucher with nothing left (or nothing this
    order may use it for) is refused; a voucher with less than the order costs pays what it
    has and the card pays the rest."""
    now = now or datetime.now(UTC)
    found = check_usable(get_by_code(code), currency=order.currency, now=now)
    voucher = lock_voucher(found.id)
    eligible = eligible_minor(order, voucher)
    if eligible <= 0:
        venue = voucher.venue.name if voucher.venue else "one venue"
        raise VoucherRefused(
            _("This gift voucher is only for %(venue)s, and nothing in your cart is from there.", venue=venue),
            field="voucher_code",
        )
    left = balance(voucher)
    if left <= 0:
        raise VoucherRefused(_("This gift voucher has been used up: its balance is £0.00."), field="voucher_code")
    amount = min(left, eligible)
    add_entry(voucher, EntryKind.REDEEM, -amount, order_id=order.id, note=f"Order {order.id}")
    order.voucher_applied_minor = amount
    return Applied(voucher, amount, left - amount)


def spent_on(order_id: int) -> list[tuple[int, int]]:
    """``(voucher id, net amount the order holds)`` for vouchers this order still holds money of."""
    rows = db.session.execute(
        select(VoucherEntry.voucher_id, func.sum(VoucherEntry.amount_minor))
        .where(VoucherEntry.order_id == order_id)
        .group_by(VoucherEntry.voucher_id)
        .order_by(VoucherEntry.voucher_id)
    )
    return [(voucher_id, -int(net)) for voucher_id, net in rows if net < 0]


def release_for_order(order: Order) -> int:
    """The order was released unpaid: what it took from a voucher goes back. Idempotent
    (it gives back only what the order still holds); returns the amount given back."""
    given = 0
    for voucher_id, held in spent_on(order.id):
        voucher = lock_voucher(voucher_id)
        add_entry(voucher, EntryKind.RELEASE, held, order_id=order.id, note=f"Order {order.id} not paid")
        given += held
    return given


def retake_for_order(order: Order) -> bool:
    """A released order is being paid late: take its voucher part again, if the voucher
    still has it. False if it doesn't (the order is then refused and refunded)."""
    if order.voucher_applied_minor <= 0:
        return True
    entry = db.session.scalar(
        select(VoucherEntry)
        .where(VoucherEntry.order_id == order.id, VoucherEntry.kind == EntryKind.REDEEM)
        .order_by(VoucherEntry.id)
        .limit(1)
    )
    if entry is None:
        return False
    holding = dict(spent_on(order.id)).get(entry.voucher_id, 0)
    missing = order.voucher_applied_minor - holding
    if missing <= 0:
        return True
    voucher = lock_voucher(entry.voucher_id)
    if balance(voucher) < missing:
        return False
    add_entry(voucher, EntryKind.REDEEM, -missing, order_id=order.id, note=f"Order {order.id} paid late")
    return True


# -- refunds ---------------------------------------------------------------------------------


def refundable_to_voucher(order: Order) -> int:
    """What of the voucher part of a paid order is not yet refunded to the voucher."""
    return sum(held for _voucher_id, held in spent_on(order.id))


def refund_to_voucher(order: Order, amount_minor: int, *, booking_id: int | None, reason: str) -> int:
    """Put ``amount_minor`` (at most what the order holds) back on its voucher; returns it."""
    left = amount_minor
    for voucher_id, held in spent_on(order.id):
        if left <= 0:
            break
        part = min(left, held)
        voucher = lock_voucher(voucher_id)
        add_entry(voucher, EntryKind.REFUND, part, order_id=order.id, booking_id=booking_id, note=reason)
        left -= part
    return amount_minor - left


def describe(voucher: Voucher, *, balance_minor: int) -> str:
    return f"{format_money(balance_minor, voucher.currency)} of {format_money(voucher.value_minor, voucher.currency)}"
