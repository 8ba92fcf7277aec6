"""Carts, orders and bookings. Overbooking is made impossible by the database (see the
migration): a team member's live bookings never overlap (exclusion constraint), and a
service's capacity is checked under a row lock on the service inside the transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.platform.columns import CreatedAt, Currency, IdKey, UpdatedAt, one_of
from app.platform.extensions import db
from app.venues.models import Service, ServiceOption, TeamMember, Venue


class BookingStatus(enum.StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    CANCELLED_BY_VENUE = "cancelled_by_venue"


LIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)
LIVE_SQL = "status IN ('held', 'confirmed')"  # the same, in SQL (partial indexes)


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    RELEASED = "released"  # the customer let the held times go to change the order


class ReleaseReason(enum.StrEnum):
    """Why a held order let its times go (its items always go back to the cart)."""

    DECLINED = "payment_declined"
    ABANDONED = "checkout_expired"  # the gateway's checkout session ran out
    EXPIRED = "hold_expired"  # our own hold ran out (the periodic job)
    CHANGED = "changed_by_customer"  # "Change my order" or "Cancel and return"


class CartItem(IdKey, db.Model):
    """A wish, not a hold: re-checked at checkout, dropped 24 hours after it was added."""

    __tablename__ = "cart_items"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 20", name="quantity_range"),
        CheckConstraint("(user_id IS NOT NULL) OR (cart_token IS NOT NULL)", name="has_owner"),
    )

    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cart_token: Mapped[str | None] = mapped_column(String(64), index=True)  # anonymous carts
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    # The service's option chosen (app/venues/options.py); None for a service without options.
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id", ondelete="CASCADE"))
    # The add-ons chosen (ids of the service's add-ons, in the order shown); checked again at checkout.
    addon_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    # One treatment of a visit (app/booking/visits.py): the items of one visit share this key,
    # and each starts when the one before it ends. None: an item on its own.
    visit_key: Mapped[str | None] = mapped_column(String(32), default=None)
    # The guests of a visit these places are for (numbered from 1), and their names, in order.
    guests: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    guest_names: Mapped[list[str]] = mapped_column(ARRAY(String), default=list, server_default="{}")
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    quantity: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set when a released order put this item back, so the cart can say where it came from.
    restored_from_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    # The customer's answers to the service's intake questions, as asked when it was added:
    # [{"question": ..., "answer": ...}] (app/booking/intake.py); copied to the booking at checkout.
    intake_answers: Mapped[list[dict[str, str]] | None] = mapped_column(JSONB)
    # Set only by the booking button's own route (app/booking/views/embed.py): the venue whose
    # website the item was chosen on. An order made only of such items of that one venue is
    # the venue's own channel (no commission).
    via_site_venue_id: Mapped[int | None] = mapped_column(default=None)

    service: Mapped[Service] = relationship()
    option: Mapped[ServiceOption | None] = relationship()
    team_member: Mapped[TeamMember | None] = relationship()


class OrderChannel(enum.StrEnum):
    MARKETPLACE = "marketplace"  # found and booked on CozyWish
    VENUE_SITE = "venue_site"  # the booking button on the venue's own website: no commission


class Order(IdKey, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        one_of("status", OrderStatus),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("voucher_applied_minor BETWEEN 0 AND total_minor", name="voucher_applied_in_total"),
        CheckConstraint("promo_discount_minor >= 0", name="promo_discount_not_negative"),
        one_of("channel", OrderChannel),
    )

    # None only for an order made at the front desk for a walk-in without an account.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PENDING_PAYMENT)
    currency: Mapped[Currency]
    total_minor: Mapped[int]
    hold_expires_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]
    paid_at: Mapped[datetime | None]
    # Sequential receipt number, given when the order is paid (a database sequence).
    receipt_number: Mapped[int | None] = mapped_column(unique=True)
    refunded_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    # The part of the total a gift voucher paid (app/vouchers/redemption.py), fixed at checkout.
    voucher_applied_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    # The cart items the order was made from (service, start, team member choice, quantity),
    # so a release can put exactly those back; None for orders made before it was kept.
    cart_snapshot: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    release_reason: Mapped[str | None] = mapped_column(String(40))
    # Where it was made: 'marketplace', or 'venue_site' (the booking button on the venue's own
    # website: no platform commission, app/payouts/shares.py). Set by checkout from its items.
    channel: Mapped[str] = mapped_column(String(12), default="marketplace", server_default="marketplace")
    released_at: Mapped[datetime | None]
    cart_restored_at: Mapped[datetime | None]
    # The promo code as it was applied at checkout, and what it took off (app/promos/), so the
    # order page and the receipt stay as they were whatever happens to the code later.
    promo_code: Mapped[str | None] = mapped_column(String(32))
    promo_discount_minor: Mapped[int] = mapped_column(default=0, server_default="0")

    customer: Mapped[User | None] = relationship()
    # The order's bookings; a held booking that stands for a pending move (``moves_booking_id``)
    # is not one of them: it is the move's, and it belongs to its ``TopUp``.
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="order",
        order_by="Booking.starts_at",
        primaryjoin="and_(Order.id == Booking.order_id, Booking.moves_booking_id.is_(None))",
    )


def _whole_price(context: Any) -> int:
    """A booking made without saying otherwise is paid in full online."""
    values = context.get_current_parameters()
    return values["unit_price_minor"] * (values.get("quantity") or 1)


class Booking(IdKey, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        one_of("status", BookingStatus),
        CheckConstraint("quantity BETWEEN 1 AND 50", name="quantity_range"),
        CheckConstraint("ends_at > starts_at AND blocks_until >= ends_at", name="time_order"),
        CheckConstraint("unit_price_minor >= 0 AND refund_minor >= 0", name="money_not_negative"),
        CheckConstraint("calendar_sequence >= 0", name="calendar_sequence_not_negative"),
        CheckConstraint(
            "promo_discount_minor >= 0 AND promo_discount_minor <= unit_price_minor * quantity",
            name="promo_discount_within_price",
        ),
        CheckConstraint(
            "online_minor BETWEEN 0 AND unit_price_minor * quantity AND promo_discount_minor <= online_minor",
            name="online_within_price",
        ),
        # Live bookings by service and by team member: checkout's first look (migration 0037).
        Index("ix_bookings_live_service", "service_id", "starts_at", postgresql_where=text(LIVE_SQL)),
        Index("ix_bookings_live_member", "team_member_id", "starts_at", postgresql_where=text(LIVE_SQL)),
        CheckConstraint(
            "request_state IS NULL OR request_state IN ('pending', 'accepted', 'declined', 'lapsed')",
            name="request_state_known",
        ),
        Index("ix_bookings_pending_requests", "request_expires_at", postgresql_where=text("request_state = 'pending'")),
        one_of("channel", ("online", "desk")),
        CheckConstraint("customer_id IS NOT NULL OR client_id IS NOT NULL", name="has_someone"),
        CheckConstraint(
            "(gap_starts_at IS NULL) = (gap_ends_at IS NULL) AND (gap_starts_at IS NULL OR "
            "(starts_at < gap_starts_at AND gap_starts_at < gap_ends_at AND gap_ends_at < ends_at))",
            name="gap_inside",
        ),
        Index("ix_bookings_client", "client_id", "starts_at", postgresql_where=text("client_id IS NOT NULL")),
        Index("ix_bookings_visit_key", "visit_key", postgresql_where=text("visit_key IS NOT NULL")),
    )

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # None only for a booking made at the front desk for a walk-in without an account: its
    # client (``client_id``) names them then.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The venue's client book entry (app/clients/): who this is to the venue. None only for
    # bookings whose client row was removed.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("venue_clients.id", ondelete="SET NULL"), default=None)
    # Where it was made: 'online' (the cart and checkout) or 'desk' (the provider's calendar).
    channel: Mapped[str] = mapped_column(String(8), default="online", server_default="online")
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    # The option booked and its name then: the receipt keeps "90 min" if the option is renamed or
    # removed later (the id goes, the name stays). None: a service without options.
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id", ondelete="SET NULL"))
    option_name: Mapped[str | None] = mapped_column(String(60))
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(24), default=BookingStatus.HELD, index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    blocks_until: Mapped[datetime]  # ends_at + the service's buffer
    # A processing gap (migration 0074): the team member is free from ``gap_starts_at`` to
    # ``gap_ends_at`` for another client; the client, and any room, stay. None: no gap.
    gap_starts_at: Mapped[datetime | None]
    gap_ends_at: Mapped[datetime | None]
    # A visit (app/booking/visits.py): the bookings of treatments booked back to back in one go
    # share this key, and are moved or cancelled together. None: a booking on its own.
    visit_key: Mapped[str | None] = mapped_column(String(32))
    # A group visit's guest (numbered from 1) and their name, when the customer booked for others.
    guest: Mapped[int | None] = mapped_column(SmallInteger)
    guest_name: Mapped[str | None] = mapped_column(String(80))
    hold_expires_at: Mapped[datetime | None]
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_minor: Mapped[int]
    currency: Mapped[Currency]
    # The cancellation policy as it was when booked: later edits to the service don't change it.
    cancel_free_hours: Mapped[int]
    cancel_late_fee_percent: Mapped[int | None]  # None: no late cancellation
    no_show_fee_percent: Mapped[int | None]  # None: no no-show fee
    # How it was paid when booked (app/venues/deposits.py): the part paid online (the whole
    # price unless a deposit or pay-at-the-venue); the rest is due at the venue.
    payment_mode: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    online_minor: Mapped[int] = mapped_column(default=_whole_price)
    refund_minor: Mapped[int] = mapped_column(default=0)
    # This booking's share of its order's promo discount (app/promos/rules.allocate).
    promo_discount_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    reminder_sent_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]  # at the front desk
    # The treatment began (migration 0078): the calendar's stage "started" (app/booking/arrival.py).
    started_at: Mapped[datetime | None]
    # The calendar entry's revision: whatever moves the booking (a reschedule) adds 1, so
    # calendars update the event in place (app/booking/ics.py adds 1 more once cancelled).
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set on the held booking that holds the new time of a pending move to a dearer time (a
    # top-up): the booking it will move (app/checkout/top_ups.py). The team member exclusion
    # constraint lets a booking and its own move's hold overlap.
    moves_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True, default=None
    )
    # Request-to-book (app/booking/requests.py), as booked: the venue's window to accept (None:
    # an instant booking); once paid, "pending" until ``request_expires_at``, then "accepted",
    # "declined" or "lapsed" (the last two cancel it with a full refund, app/checkout/requests.py).
    request_window_hours: Mapped[int | None]
    request_state: Mapped[str | None] = mapped_column(String(10))
    request_expires_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]

    order: Mapped[Order] = relationship(back_populates="bookings")
    customer: Mapped[User | None] = relationship()
    venue: Mapped[Venue] = relationship()
    service: Mapped[Service] = relationship()
    option: Mapped[ServiceOption | None] = relationship()
    addons: Mapped[list[BookingAddon]] = relationship(
        order_by="BookingAddon.id", cascade="all, delete-orphan", passive_deletes=True
    )
    team_member: Mapped[TeamMember | None] = relationship()

    def shift(self, by: timedelta) -> None:
        """Move all of the booking's times by ``by``: start, end, the buffer's end and any
        processing gap (the demo's and tests' bookings in the past; a customer's move goes
        through app/checkout/reschedule.py)."""
        self.starts_at, self.ends_at, self.blocks_until = self.starts_at + by, self.ends_at + by, self.blocks_until + by
        if self.gap_starts_at is not None and self.gap_ends_at is not None:
            self.gap_starts_at, self.gap_ends_at = self.gap_starts_at + by, self.gap_ends_at + by

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def paid_minor(self) -> int:
        """What the customer paid online for this booking: its online part (the whole price, or
        a deposit, or nothing) less its share of a promo code."""
        return self.online_minor - self.promo_discount_minor

    @property
    def at_venue_minor(self) -> int:
        """What is left to pay at the venue (never discounted)."""
        return self.total_minor - self.online_minor


@event.listens_for(Booking.unit_price_minor, "set")
def _online_part_follows_the_price(booking: Booking, value: int, old: Any, _initiator: Any) -> None:
    """A booking moved to a time with another price (app/checkout/reschedule.py): one paid in
    full online stays paid in full (the difference is a top-up or a refund); a deposit
    already paid stays, never more than the new price."""
    if booking.online_minor is None or not isinstance(old, int) or value == old:
        return
    new_total = value * (booking.quantity or 1)
    if booking.payment_mode == "full":
        booking.online_minor = new_total
    else:
        booking.online_minor = min(booking.online_minor, new_total)
    booking.promo_discount_minor = min(booking.promo_discount_minor or 0, booking.online_minor)


class BookingResource(IdKey, db.Model):
    """One unit of a resource (room 2 of "Treatment room") taken by a booking from its start to
    ``blocks_until``. ``live`` and the times follow the booking's own (a trigger on bookings,
    migration 0072), and an exclusion constraint refuses a unit in two live bookings that meet,
    but for a booking and its own move's hold (``moves_booking_id``), as the team member's does."""

    __tablename__ = "booking_resources"
    __table_args__ = (CheckConstraint("unit >= 1", name="unit_positive"),)

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    unit: Mapped[int]
    starts_at: Mapped[datetime]
    blocks_until: Mapped[datetime]
    moves_booking_id: Mapped[int | None]
    live: Mapped[bool] = mapped_column(default=True)
    # A guest's booking sharing the units of this sitting's first booking (a room the service
    # shares, migration 0076): rows with one key may meet.
    shares_booking_id: Mapped[int | None] = mapped_column(default=None)


class BookingAddon(IdKey, db.Model):
    """An add-on as booked: its name, price and minutes then (the receipt keeps them if the venue
    changes or removes the add-on later). Its price is part of the booking's ``unit_price_minor``
    and its minutes of the booking's length."""

    __tablename__ = "booking_addons"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("extra_minutes BETWEEN 0 AND 240", name="extra_minutes_range"),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    addon_id: Mapped[int | None] = mapped_column(ForeignKey("service_addons.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(60))
    price_minor: Mapped[int]
    extra_minutes: Mapped[int]


class TimeBlock(IdKey, db.Model):
    """Time a venue (or one team member) can't take bookings: a training, a break."""

    __tablename__ = "time_blocks"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_order"),
        CheckConstraint(
            "(repeat_weekdays IS NULL) = (repeat_until IS NULL) "
            "AND (repeat_weekdays IS NULL OR repeat_weekdays BETWEEN 1 AND 127)",
            name="repeat_whole",
        ),
        Index("ix_time_blocks_repeating", "venue_id", postgresql_where=text("repeat_until IS NOT NULL")),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    # A weekly repeat (app/booking/time_blocks.py): the block's time of day again on these
    # weekdays (a bit mask, Monday = 1 ... Sunday = 64), in the venue's zone, up to and including
    # ``repeat_until``. One row holds the rule; occurrences are expanded where blocks are read
    # (in SQL, inside the slot engine's window). Both None: a single block.
    repeat_weekdays: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    repeat_until: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[CreatedAt]


class OrderTransition(IdKey, db.Model):
    """One step of an order's lifecycle (app/booking/order_lifecycle.py), kept for good: the
    order's history as the lifecycle wrote it, beside the audit log's copy."""

    __tablename__ = "order_transitions"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(24))  # None: the order was just made
    to_state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(200))
    amount_minor: Mapped[int | None]  # a refund's amount
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[CreatedAt]


class ReschedulePolicy(db.Model):
    """How a venue lets customers move their own bookings (app/checkout/reschedule.py): until
    ``until_hours`` before the start, at most ``max_moves`` times a booking (0: not online).
    A venue without a row has the defaults below; the venue moves any booking regardless."""

    __tablename__ = "reschedule_policies"
    __table_args__ = (
        CheckConstraint("until_hours BETWEEN 0 AND 720", name="until_hours_range"),
        CheckConstraint("max_moves BETWEEN 0 AND 10", name="max_moves_range"),
    )

    DEFAULT_UNTIL_HOURS = 24
    DEFAULT_MAX_MOVES = 2

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    until_hours: Mapped[int] = mapped_column(default=DEFAULT_UNTIL_HOURS, server_default="24")
    max_moves: Mapped[int] = mapped_column(default=DEFAULT_MAX_MOVES, server_default="2")
    updated_at: Mapped[UpdatedAt]


class BookingMove(IdKey, db.Model):
    """One move of a booking to another time or team member, kept for good: the booking's
    reschedule history, and what counts against the venue's "at most M moves"."""

    __tablename__ = "booking_moves"
    __table_args__ = (one_of("moved_by", ("customer", "venue")),)

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    moved_by: Mapped[str] = mapped_column(String(10))  # "customer" | "venue"
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_starts_at: Mapped[datetime]
    to_starts_at: Mapped[datetime]
    from_team_member_id: Mapped[int | None]
    to_team_member_id: Mapped[int | None]
    # New price minus the price paid, for the whole booking (negative: refunded).
    price_difference_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[CreatedAt]


class TopUpStatus(enum.StrEnum):
    PENDING = "pending"  # the new time is held; waiting for the payment
    MOVED = "moved"  # paid: the booking moved to the new time
    RELEASED = "released"  # failed, abandoned, expired or given up: the hold went, nothing changed
    REFUNDED = "refunded"  # paid, but the move could not be made: the top-up was refunded in full


class TopUp(IdKey, db.Model):
    """A customer's move to a dearer time, waiting for the difference (app/checkout/top_ups.py):
    the booking, the held booking that keeps the new time, and the top-up payment."""

    __tablename__ = "top_ups"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        one_of("status", TopUpStatus),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    hold_booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_minor: Mapped[int]  # the difference, whole booking
    currency: Mapped[Currency]
    new_unit_price_minor: Mapped[int]
    from_starts_at: Mapped[datetime]
    from_team_member_id: Mapped[int | None]
    to_starts_at: Mapped[datetime]
    to_team_member_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=TopUpStatus.PENDING, server_default="pending")
    outcome: Mapped[str | None] = mapped_column(Text)  # what happened, in English words (a record)
    # What happened, as a key of app/booking/top_ups.OUTCOMES ("refunded:<reason>"): the page
    # says it in the reader's language.
    outcome_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[CreatedAt]
    settled_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()
    booking: Mapped[Booking] = relationship(foreign_keys=[booking_id])
    hold: Mapped[Booking | None] = relationship(foreign_keys=[hold_booking_id])


class BookingIntakeAnswer(IdKey, db.Model):
    """One answer to an intake question, with the question's words as asked at the time, so a
    later edit of the venue's questions never changes what a past booking says."""

    __tablename__ = "booking_intake_answers"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    question: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
