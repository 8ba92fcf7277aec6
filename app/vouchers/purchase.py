"""Buying a gift voucher: an order without bookings, paid through the gateway like any other.

The purchase is an ``Order`` (held for HOLD_MINUTES, paid, released, refunded by the order
lifecycle) with a ``VoucherPurchase`` beside it. When the gateway's paid event is settled,
``order_lifecycle.confirm_paid`` fires ``order_paid`` and ``issue_when_paid`` issues the voucher: under the
order's row lock, only on the order's move to paid, and a voucher's purchase is unique, so a
retried webhook or a replayed event never issues a second voucher or a second email.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.booking import events, order_lifecycle
from app.booking.models import Order
from app.platform.email import send_email
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.urls import absolute_url
from app.venues.models import Venue, VenueStatus
from app.vouchers import ledger
from app.vouchers.models import GiftKind, Voucher, VoucherPurchase
from app.vouchers.presenting import voucher_card
from app.vouchers.treatments import Treatment, TreatmentWish, choose_treatment

MIN_VALIDITY_MONTHS = 12  # the UK's usual floor for gift cards; never less


def validity_months(config) -> int:
    """VOUCHER_VALIDITY_MONTHS, refused at start-up if under 12."""
    months = int(config.get("VOUCHER_VALIDITY_MONTHS", 24))
    if months < MIN_VALIDITY_MONTHS:
        raise ValueError(f"VOUCHER_VALIDITY_MONTHS must be at least {MIN_VALIDITY_MONTHS} (it is {months}).")
    return months


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def expiry_for(issued_at: datetime) -> datetime:
    return add_months(issued_at, validity_months(current_app.config))


@dataclass(frozen=True)
class PurchaseRequest:
    amount_minor: int
    recipient_name: str
    recipient_email: str
    sender_name: str
    message: str = ""
    venue_id: int | None = None
    # A treatment gift (app/vouchers/treatments.py): what it is for at ``venue_id``; its price
    # is that treatment's today, and ``amount_minor`` is then not read.
    treatment: TreatmentWish | None = None


def check_amount(amount_minor: int) -> None:
    low, high = current_app.config["VOUCHER_MIN_MINOR"], current_app.config["VOUCHER_MAX_MINOR"]
    if not low <= amount_minor <= high:
        raise ValidationFailed(
            _("Choose an amount between £%(value)s and £%(value2)s.", value=low // 100, value2=high // 100)
        )


def start_purchase(buyer: User, wish: PurchaseRequest, *, now: datetime | None = None) -> VoucherPurchase:
    """A purchase waiting for payment: its order is held like a checkout's."""
    now = now or datetime.now(UTC)
    if not buyer.is_verified:
        raise ValidationFailed(_("Confirm your email address before buying; we sent you a link."))
    treatment = None
    if wish.treatment is not None:
        if wish.venue_id is None:
            raise ValidationFailed(_("A treatment gift is for one venue: choose it from the venue's page."))
        treatment = choose_treatment(wish.venue_id, wish.treatment)
    else:
        check_amount(wish.amount_minor)
    amount_minor = treatment.price_minor if treatment else wish.amount_minor
    currency = "GBP"
    if wish.venue_id is not None and treatment is None:
        venue = db.session.get(Venue, wish.venue_id)
        if venue is None or venue.status != VenueStatus.APPROVED:
            raise ValidationFailed(_("That venue doesn't take gift vouchers; choose another or any venue."))
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = order_lifecycle.hold(buyer, currency=currency, hold_until=hold_until)
    order.total_minor = amount_minor
    purchase = VoucherPurchase(
        order_id=order.id,
        buyer_id=buyer.id,
        amount_minor=amount_minor,
        currency=currency,
        venue_id=wish.venue_id,
        recipient_name=wish.recipient_name.strip(),
        recipient_email=wish.recipient_email.strip(),
        sender_name=wish.sender_name.strip(),
        message=wish.message.strip(),
    )
    if treatment is not None:
        snapshot_treatment(purchase, treatment)
    db.session.add(purchase)
    db.session.flush()
    return purchase


def snapshot_treatment(purchase: VoucherPurchase, treatment: Treatment) -> None:
    """What a treatment gift is for, by id and by name as it is today."""
    purchase.kind = GiftKind.TREATMENT
    purchase.service_id = treatment.service.id
    purchase.option_id = treatment.option.id if treatment.option else None
    purchase.addon_ids = [addon.id for addon in treatment.addons]
    purchase.venue_name = treatment.venue.name
    purchase.service_name = treatment.service.name
    purchase.option_name = treatment.option.name if treatment.option else None
    purchase.minutes = treatment.minutes
    purchase.addon_names = [addon.name for addon in treatment.addons]


def get_purchase(order: Order) -> VoucherPurchase | None:
    return order.voucher_purchase if not order.bookings else None


@events.order_paid.connect
def issue_when_paid(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    order_paid(order, now=now)


def order_paid(order: Order, *, now: datetime) -> Voucher | None:
    """``order`` is paid (``order_paid``, app/booking/events.py): a purchase issues its voucher."""
    purchase = get_purchase(order)
    if purchase is None:
        return None
    if purchase.voucher is not None:
        return purchase.voucher  # never twice
    voucher = Voucher(
        code=ledger.new_code(),
        purchase_id=purchase.id,
        value_minor=purchase.amount_minor,
        currency=purchase.currency,
        venue_id=purchase.venue_id,
        issued_at=now,
        expires_at=expiry_for(now),
    )
    for _attempt in range(5):  # a code collision (79 bits) is as good as impossible; retried all the same
        try:
            with db.session.begin_nested():
                db.session.add(voucher)
                db.session.flush()
            break
        except IntegrityError:
            voucher.code = ledger.new_code()
    ledger.issue(voucher)
    send_voucher_email(voucher)
    return voucher


def send_voucher_email(voucher: Voucher) -> None:
    """The recipient's email: the code, the value, the expiry and the printable page."""
    purchase = voucher.purchase
    if voucher.is_treatment:
        subject = _l("%(sender_name)s sent you a treatment gift on CozyWish", sender_name=purchase.sender_name)
    else:
        subject = _l("%(sender_name)s sent you a CozyWish gift voucher", sender_name=purchase.sender_name)
    send_email(
        purchase.recipient_email,
        subject,
        "gift_voucher",
        card=voucher_card(voucher, balance_minor=voucher.value_minor),
        print_url=absolute_url("vouchers.printable", code=voucher.code),
        use_url=absolute_url("main.index"),
    )


def get_purchases(buyer: User) -> list[VoucherPurchase]:
    """The buyer's paid purchases (issued vouchers), newest first."""
    return list(
        db.session.scalars(
            select(VoucherPurchase)
            .join(Voucher, Voucher.purchase_id == VoucherPurchase.id)
            .where(VoucherPurchase.buyer_id == buyer.id)
            .order_by(VoucherPurchase.id.desc())
        )
    )
