"""Venues and everything a provider sets up about one: images, services, hours, closures,
team and FAQs. Rules the database can hold are constraints (see the migration).

One module over 500 lines on purpose: it is the venues' schema, one class per table, and a
service's options, add-ons and rooms refer to one another here; split, they would import each
other both ways."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.platform.columns import CreatedAt, Currency, IdKey, ImageVariants, UpdatedAt, one_of
from app.platform.extensions import db

MAX_TEAM_MEMBERS = 5
MAX_FAQS = 5


class VenueStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # closed by its owner for good (app/venues/closing.py): hidden, records kept


class Category(IdKey, db.Model):
    __tablename__ = "categories"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)


class Venue(IdKey, db.Model):
    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("win_back_months IS NULL OR win_back_months BETWEEN 2 AND 24", name="win_back_range"),
        CheckConstraint("vat_number ~ '^[A-Z]{2}[0-9A-Z]{2,12}$'", name="vat_number_format"),
        one_of("status", VenueStatus),
    )

    # One venue per provider: a unique constraint, not only a check in code.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Invitations back (app/notifications/return_messages.py), to customers who agreed to offers:
    # a birthday message from a venue they visited, and one message this many months after their
    # last visit when they haven't booked since (None: never).
    birthday_messages: Mapped[bool] = mapped_column(default=False, server_default="false")
    win_back_months: Mapped[int | None] = mapped_column(SmallInteger)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    address_line: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="GB")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    currency: Mapped[Currency] = mapped_column(default="GBP")
    vat_number: Mapped[str | None] = mapped_column(String(14))  # VAT-registered when set (app/venues/vat.py)

    status: Mapped[str] = mapped_column(String(20), default=VenueStatus.DRAFT, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    # Fields changed since the last approval; the venue stays live and admins re-review them.
    changed_fields: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    # Paused by its owner (app/venues/closing.py): listed, but no new bookings until reopened, or
    # until ``resumes_on`` (venue-local) when set. Closed (status closed): since when.
    paused_at: Mapped[datetime | None]
    resumes_on: Mapped[date | None]
    pause_message: Mapped[str | None] = mapped_column(String(300))
    closed_at: Mapped[datetime | None]
    onboarding_step: Mapped[str] = mapped_column(String(20), default="basics")
    # Published reviews: their average (None before the first) and count, kept by
    # app.reviews.service.refresh_venue_rating.
    # An exact decimal (numeric(3, 2)), so "4.7 and up" includes 4.7.
    rating: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    review_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The owner's own website origins (https://example.com): the only pages that may frame the
    # booking button's panel (docs/booking-button.md).
    site_origins: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list, server_default="{}")
    # Secret token of the provider's private calendar feed; None when revoked or never made.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    owner: Mapped[User] = relationship()
    category: Mapped[Category | None] = relationship()
    images: Mapped[list[VenueImage]] = relationship(
        back_populates="venue", order_by="VenueImage.position", cascade="all, delete-orphan"
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="venue", order_by="Service.position", cascade="all, delete-orphan"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="venue",
        order_by="(OpeningHours.weekday, OpeningHours.opens_minute)",
        cascade="all, delete-orphan",
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="venue", order_by="Closure.starts_on", cascade="all, delete-orphan"
    )
    team: Mapped[list[TeamMember]] = relationship(
        back_populates="venue", order_by="TeamMember.position", cascade="all, delete-orphan"
    )
    faqs: Mapped[list[FAQ]] = relationship(
        back_populates="venue", order_by="FAQ.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.slug} {self.status}>"

    @property
    def is_public(self) -> bool:
        return self.status == VenueStatus.APPROVED

    @property
    def cover_image(self) -> VenueImage | None:
        venue_images = [i for i in self.images if i.kind == "venue"]
        return next((i for i in venue_images if i.is_cover), venue_images[0] if venue_images else None)

    @property
    def gallery(self) -> list[VenueImage]:
        return [i for i in self.images if i.kind == "venue"]

    @property
    def active_services(self) -> list[Service]:
        return [s for s in self.services if s.is_active]


class VenueSlug(db.Model):
    """Every slug a venue has had, so old links answer 301 to the current one."""

    __tablename__ = "venue_slugs"

    slug: Mapped[str] = mapped_column(String(140), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)


class VenueImage(IdKey, ImageVariants, db.Model):
    __tablename__ = "venue_images"
    __table_args__ = (one_of("kind", ("venue", "team")),)

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="venue")
    alt_text: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_cover: Mapped[bool] = mapped_column(default=False)
    # {"thumb": {"key": ..., "width": ..., "height": ...}, "card": {...}, "hero": {...}}
    variants: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[CreatedAt]

    venue: Mapped[Venue] = relationship(back_populates="images")


class Service(IdKey, db.Model):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 720", name="duration_range"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("capacity BETWEEN 1 AND 50", name="capacity_range"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_range"),
        CheckConstraint("rebook_after_weeks IS NULL OR rebook_after_weeks BETWEEN 1 AND 52", name="rebook_after_range"),
        CheckConstraint("cancel_free_hours BETWEEN 0 AND 720", name="cancel_hours_range"),
        CheckConstraint(
            "cancel_late_fee_percent IS NULL OR cancel_late_fee_percent BETWEEN 0 AND 100", name="cancel_fee_range"
        ),
        one_of("payment_mode", ("full", "deposit_percent", "deposit_fixed", "at_venue")),
        CheckConstraint(
            "(payment_mode = 'deposit_percent') = (deposit_percent IS NOT NULL) AND "
            "(deposit_percent IS NULL OR deposit_percent BETWEEN 1 AND 99)",
            name="deposit_percent_range",
        ),
        CheckConstraint(
            "(payment_mode = 'deposit_fixed') = (deposit_fixed_minor IS NOT NULL) AND "
            "(deposit_fixed_minor IS NULL OR (deposit_fixed_minor > 0 AND deposit_fixed_minor < price_minor))",
            name="deposit_fixed_range",
        ),
        CheckConstraint(
            "no_show_fee_percent IS NULL OR no_show_fee_percent BETWEEN 0 AND 100", name="no_show_fee_range"
        ),
        CheckConstraint(
            "min_notice_minutes IS NULL OR min_notice_minutes BETWEEN 0 AND 43200", name="min_notice_range"
        ),
        CheckConstraint("max_advance_days IS NULL OR max_advance_days BETWEEN 1 AND 730", name="max_advance_range"),
        CheckConstraint("request_window_hours BETWEEN 1 AND 168", name="request_window_range"),
        CheckConstraint("patch_test_min_hours BETWEEN 1 AND 2160", name="patch_test_hours_range"),
        CheckConstraint("patch_test_service_id IS NULL OR patch_test_service_id <> id", name="patch_test_not_itself"),
        CheckConstraint(
            "(processing_after_minutes IS NULL) = (processing_minutes IS NULL) AND (processing_minutes IS NULL OR "
            "(processing_after_minutes BETWEEN 5 AND 600 AND processing_minutes BETWEEN 5 AND 480 "
            "AND processing_after_minutes + processing_minutes < duration_minutes))",
            name="processing_range",
        ),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    duration_minutes: Mapped[int]
    price_minor: Mapped[int]
    currency: Mapped[Currency] = mapped_column(default="GBP")
    capacity: Mapped[int] = mapped_column(default=1)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    # Rebooking nudges (app/notifications/return_messages.py): this many weeks after a visit, a
    # customer who gave marketing consent and booked nothing since is invited back; None: never.
    rebook_after_weeks: Mapped[int | None] = mapped_column(SmallInteger)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # Cancellation policy: free until this many hours before the start; later, a fee
    # (percent of the price) or, when the fee is None, no cancellation at all.
    cancel_free_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    cancel_late_fee_percent: Mapped[int | None] = mapped_column(default=50, server_default="50")
    # How it is paid (app/venues/deposits.py): "full" online, a deposit online (a percent of
    # the price, or a fixed amount under it) with the rest at the venue, or all "at_venue".
    payment_mode: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    deposit_percent: Mapped[int | None]
    deposit_fixed_minor: Mapped[int | None]
    # A no-show fee, percent of the price (None: no fee), charged to the saved card.
    no_show_fee_percent: Mapped[int | None]
    # Booking rules (docs/booking-rules.md): how long before the start a customer can book at
    # the latest, how far ahead at the most (never past the platform's BOOKING_MAX_ADVANCE_DAYS),
    # None: the platform's own (BOOKING_MIN_NOTICE_MINUTES, BOOKING_MAX_ADVANCE_DAYS); and
    # whether a booking is a request the venue accepts within ``request_window_hours``.
    min_notice_minutes: Mapped[int | None]
    max_advance_days: Mapped[int | None]
    request_to_book: Mapped[bool] = mapped_column(default=False, server_default="false")
    request_window_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # A patch test first (app/booking/patch_test_rule.py): another service of the venue, booked to
    # start at least ``patch_test_min_hours`` before this one. None: no patch test needed.
    patch_test_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    patch_test_min_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    # Processing time (app/venues/processing.py): work, then a gap of ``processing_minutes`` from
    # ``processing_after_minutes`` after the start in which the team member may serve someone
    # else, then work to the end. Both None: no gap.
    processing_after_minutes: Mapped[int | None]
    processing_minutes: Mapped[int | None]

    venue: Mapped[Venue] = relationship(back_populates="services")
    category: Mapped[Category | None] = relationship()
    patch_test_service: Mapped[Service | None] = relationship(remote_side="Service.id")
    questions: Mapped[list[ServiceQuestion]] = relationship(
        order_by="ServiceQuestion.position, ServiceQuestion.id", cascade="all, delete-orphan", passive_deletes=True
    )
    # Its lengths or other variants, each with its own duration and price (app/venues/options.py).
    # None: booked as the service itself. Some: the service's own duration and price are those of
    # its cheapest option, so search, cards and "from £X" read the service row alone.
    options: Mapped[list[ServiceOption]] = relationship(
        order_by="ServiceOption.position, ServiceOption.id", cascade="all, delete-orphan", passive_deletes=True
    )
    # Extras chosen when booking, each with its price and extra minutes (app/venues/addons.py).
    addons: Mapped[list[ServiceAddon]] = relationship(
        order_by="ServiceAddon.position, ServiceAddon.id", cascade="all, delete-orphan", passive_deletes=True
    )
    # The rooms and equipment one booking of it takes for its whole length (app/venues/resources.py).
    needs: Mapped[list[ServiceResource]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class _ServiceRow(IdKey):
    """What a service's small rows, its options and its add-ons, share (app/venues/child_rows.py
    saves both lists): the service, a name, a price and a place in the list. Their tables'
    ``__table_args__`` begin with ``_service_row_rules``."""

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    price_minor: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)


def _service_row_rules(table: str) -> tuple[CheckConstraint | UniqueConstraint, ...]:
    """A ``_ServiceRow`` table's rules: a name of 1 to 60 characters that no other row of the
    service has, checked at commit (two rows may swap names in one save), and no negative price."""
    return (
        CheckConstraint("char_length(name) BETWEEN 1 AND 60", name="name_length"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        UniqueConstraint("service_id", "name", name=f"uq_{table}_name", deferrable=True, initially="DEFERRED"),
    )


class ServiceOption(_ServiceRow, db.Model):
    """One way a service is sold: "60 min", "90 min", "Long hair"; booked for its own length and price."""

    __tablename__ = "service_options"
    __table_args__ = (
        *_service_row_rules("service_options"),
        CheckConstraint("duration_minutes BETWEEN 5 AND 720", name="duration_range"),
    )

    duration_minutes: Mapped[int]


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"
    CHOICE = "choice"


class ServiceQuestion(IdKey, db.Model):
    """An intake question the customer answers when booking the service (app/venues/intake.py)."""

    __tablename__ = "service_questions"
    __table_args__ = (
        one_of("kind", QuestionKind),
        CheckConstraint("char_length(text) BETWEEN 1 AND 200", name="text_length"),
        CheckConstraint("position BETWEEN 1 AND 100", name="position_range"),
    )

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    text: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.TEXT)
    options: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    required: Mapped[bool] = mapped_column(default=False, server_default="false")


class OpeningHours(IdKey, db.Model):
    """One opening range on one weekday, in the venue's local wall-clock time.

    Minutes since local midnight, 0..1440; a range never crosses midnight (a late-night
    venue enters two ranges: Fri 20:00-24:00 and Sat 00:00-02:00). The exclusion
    constraint in the migration keeps ranges of one venue and weekday from overlapping.
    """

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440 AND opens_minute < closes_minute", name="order"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    opens_minute: Mapped[int]
    closes_minute: Mapped[int]

    venue: Mapped[Venue] = relationship(back_populates="opening_hours")


class Closure(IdKey, db.Model):
    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="order"),)

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")

    venue: Mapped[Venue] = relationship(back_populates="closures")


class ServiceAddon(_ServiceRow, db.Model):
    """An extra a customer may add to a booking of the service ("Hot stones", +£15, +15 min): its
    price is added to the booking's, its minutes to the booking's length."""

    __tablename__ = "service_addons"
    __table_args__ = (
        *_service_row_rules("service_addons"),
        CheckConstraint("extra_minutes BETWEEN 0 AND 240", name="extra_minutes_range"),
    )

    extra_minutes: Mapped[int] = mapped_column(default=0)

    @property
    def addon_id(self) -> int:
        """Itself, as a booking's add-on names it (``Extra`` in app/venues/addons.py)."""
        return self.id


class Resource(IdKey, db.Model):
    """A kind of room or equipment the venue has ``quantity`` of ("Treatment room" x 2, "Double
    room" x 1, "Pedicure chair" x 3): a booking of a service that needs it takes one unit (or
    more) for its whole time, and the database refuses a unit in two live bookings at once
    (``booking_resources``)."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint("char_length(name) BETWEEN 1 AND 60", name="name_length"),
        CheckConstraint("quantity BETWEEN 1 AND 50", name="quantity_range"),
        UniqueConstraint("venue_id", "name", name="uq_resources_name"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)


class ServiceResource(db.Model):
    """A service needs ``units`` of a resource for each booking (a couples massage: 1 double room)."""

    __tablename__ = "service_resources"
    __table_args__ = (CheckConstraint("units BETWEEN 1 AND 10", name="units_range"),)

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    units: Mapped[int] = mapped_column(default=1)
    # Shared by the guests of one sitting (a couples massage's double room: taken once for both);
    # otherwise each guest's booking takes its own ``units`` (migration 0076).
    shared: Mapped[bool] = mapped_column(default=False, server_default="false")

    resource: Mapped[Resource] = relationship()


team_member_services = Table(
    "team_member_services",
    db.metadata,
    Column("team_member_id", ForeignKey("team_members.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class TeamMember(IdKey, db.Model):
    __tablename__ = "team_members"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("venue_images.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)

    venue: Mapped[Venue] = relationship(back_populates="team")
    photo: Mapped[VenueImage | None] = relationship()
    services: Mapped[list[Service]] = relationship(secondary=team_member_services, order_by="Service.position")


class FAQ(IdKey, db.Model):
    __tablename__ = "faqs"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)

    venue: Mapped[Venue] = relationship(back_populates="faqs")


__all__ = [
    "FAQ",
    "MAX_FAQS",
    "MAX_TEAM_MEMBERS",
    "Category",
    "Closure",
    "OpeningHours",
    "Service",
    "TeamMember",
    "Venue",
    "VenueImage",
    "VenueSlug",
    "VenueStatus",
]


class StaffRole(enum.StrEnum):
    """What a staff member of a venue may do (docs/staff-roles.md); the owner is not staff."""

    MANAGER = "manager"
    RECEPTIONIST = "receptionist"
    PRACTITIONER = "practitioner"


class VenueStaff(IdKey, db.Model):
    """A person invited to work in a venue's provider area with their own sign-in.

    ``user_id`` is empty until the invitation is accepted; a practitioner is one of the venue's
    team members (``team_member_id``) and sees only that member's bookings. A removed member
    keeps their row (``removed_at``) for the audit trail; their account can no longer sign in
    to the venue. A person belongs to one venue: ``user_id`` is unique among live rows.
    """

    __tablename__ = "venue_staff"
    __table_args__ = (
        one_of("role", StaffRole),
        CheckConstraint("role <> 'practitioner' OR team_member_id IS NOT NULL", name="practitioner_is_a_member"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    team_member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="CASCADE"))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(server_default=func.now())
    accepted_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    venue: Mapped[Venue] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team_member: Mapped[TeamMember | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.removed_at is None

    @property
    def is_pending(self) -> bool:
        return self.removed_at is None and self.accepted_at is None
