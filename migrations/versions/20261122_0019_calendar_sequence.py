"""Bookings: calendar_sequence, the iCalendar SEQUENCE of the booking's calendar entry

Revision ID: 0019
Revises: 0013
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("bookings", sa.Column("calendar_sequence", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_check_constraint(op.f("ck_bookings_calendar_sequence_not_negative"), "bookings", "calendar_sequence >= 0")


def downgrade():
    op.drop_constraint(op.f("ck_bookings_calendar_sequence_not_negative"), "bookings", type_="check")
    op.drop_column("bookings", "calendar_sequence")
