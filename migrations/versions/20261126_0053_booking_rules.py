"""Booking rules per service, and request-to-book

Each service gets its own minimum notice (minutes), how far ahead it can be booked (days) and
whether a booking is a request the venue accepts within ``request_window_hours``. Existing
services keep today's behaviour: notice and advance NULL (the platform's
BOOKING_MIN_NOTICE_MINUTES and BOOKING_MAX_ADVANCE_DAYS, whatever a deployment set), instant
booking (docs/booking-rules.md).

A booking copies the request window it was made under (``request_window_hours``, NULL for an
instant booking); ``request_state`` is NULL, or pending / accepted / declined / lapsed, and
``request_expires_at`` is when a pending request lapses (set when it is paid).

Revision ID: 0053
Revises: 0051
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the platform's BOOKING_MIN_NOTICE_MINUTES / BOOKING_MAX_ADVANCE_DAYS, as before.
    op.add_column("services", sa.Column("min_notice_minutes", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("max_advance_days", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("request_to_book", sa.Boolean(), nullable=False, server_default="false"))
    op.add_column("services", sa.Column("request_window_hours", sa.Integer(), nullable=False, server_default="24"))
    op.create_check_constraint(
        op.f("ck_services_min_notice_range"),
        "services",
        "min_notice_minutes IS NULL OR min_notice_minutes BETWEEN 0 AND 43200",
    )
    op.create_check_constraint(
        op.f("ck_services_max_advance_range"),
        "services",
        "max_advance_days IS NULL OR max_advance_days BETWEEN 1 AND 730",
    )
    op.create_check_constraint(
        op.f("ck_services_request_window_range"), "services", "request_window_hours BETWEEN 1 AND 168"
    )
    op.add_column("bookings", sa.Column("request_window_hours", sa.Integer(), nullable=True))
    op.add_column("bookings", sa.Column("request_state", sa.String(10), nullable=True))
    op.add_column("bookings", sa.Column("request_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_bookings_request_state_known"),
        "bookings",
        "request_state IS NULL OR request_state IN ('pending', 'accepted', 'declined', 'lapsed')",
    )
    op.create_index(
        "ix_bookings_pending_requests",
        "bookings",
        ["request_expires_at"],
        postgresql_where=sa.text("request_state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_pending_requests", table_name="bookings")
    op.drop_constraint(op.f("ck_bookings_request_state_known"), "bookings")
    for column in ("request_expires_at", "request_state", "request_window_hours"):
        op.drop_column("bookings", column)
    for name in ("request_window_range", "max_advance_range", "min_notice_range"):
        op.drop_constraint(op.f(f"ck_services_{name}"), "services")
    for column in ("request_window_hours", "request_to_book", "max_advance_days", "min_notice_minutes"):
        op.drop_column("services", column)
