"""Live bookings by service and by team member, for checkout's first look

Checkout's first look (app/booking/availability.py, ``FIRST_LOOK_AT_CART``) counts the live
bookings (held or confirmed) that overlap a wanted time, for its service and for its team
members. Without these it read the service's bookings through a bitmap AND with the status
index (every live booking's entry) and each team member's through the GiST exclusion index.
Both indexes are partial: only live bookings, the ones a race for a time is about.

Revision ID: 0037
Revises: 0035
Create Date: 2026-11-23
"""

from alembic import op

revision = "0037"
down_revision = "0035"
branch_labels = None
depends_on = None

LIVE = "status IN ('held', 'confirmed')"


def upgrade():
    op.create_index("ix_bookings_live_service", "bookings", ["service_id", "starts_at"], postgresql_where=LIVE)
    op.create_index("ix_bookings_live_member", "bookings", ["team_member_id", "starts_at"], postgresql_where=LIVE)


def downgrade():
    op.drop_index("ix_bookings_live_member", table_name="bookings")
    op.drop_index("ix_bookings_live_service", table_name="bookings")
