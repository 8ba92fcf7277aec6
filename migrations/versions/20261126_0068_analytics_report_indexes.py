"""Analytics: two partial indexes for a long period's report at a busy venue (the clients seen
in the period, and a team member's lead time), built CONCURRENTLY so bookings stay writable.
Measured in docs/analytics.md, "Indexes the reports read".

Revision ID: 0068
Revises: 0067
Create Date: 2026-11-26
"""

from alembic import op

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None

# The bookings that took the time (app/analytics/venue_reports.py COUNTED) with a client.
SEEN = "status IN ('confirmed', 'completed', 'no_show') AND client_id IS NOT NULL AND moves_booking_id IS NULL"
# A team member's bookings as lead time counts them.
LEAD = "team_member_id IS NOT NULL AND moves_booking_id IS NULL AND status NOT IN ('held', 'expired')"


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_bookings_venue_seen",
            "bookings",
            ["venue_id", "starts_at"],
            postgresql_include=["client_id", "team_member_id"],
            postgresql_where=SEEN,
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_bookings_member_lead",
            "bookings",
            ["team_member_id", "starts_at"],
            postgresql_include=["created_at", "venue_id"],
            postgresql_where=LEAD,
            postgresql_concurrently=True,
        )


def downgrade():
    op.drop_index("ix_bookings_member_lead", table_name="bookings")
    op.drop_index("ix_bookings_venue_seen", table_name="bookings")
