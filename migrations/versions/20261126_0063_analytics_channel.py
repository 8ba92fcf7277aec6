"""Analytics: the venue's own channel apart. The rollup's ``channel`` gains a third value,
'site' (an online booking whose order came through the venue's booking button,
``orders.channel = 'venue_site'``), beside 'online' and 'desk'; it fits the column as it is.
Every day with bookings is queued again so the periodic job recounts it with the split.

Revision ID: 0063
Revises: 0062
Create Date: 2026-11-26
"""

from alembic import op

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None

REQUEUE = (
    "INSERT INTO analytics_dirty_days (venue_id, day) SELECT DISTINCT b.venue_id, "
    "(b.starts_at AT TIME ZONE v.timezone)::date FROM bookings b JOIN venues v ON v.id = b.venue_id"
)


def upgrade():
    op.execute(REQUEUE)


def downgrade():
    # The code before this revision counts the own channel as 'online': drop the 'site' rows and
    # queue the days again so its job recounts them.
    op.execute("DELETE FROM analytics_venue_days WHERE channel = 'site'")
    op.execute(REQUEUE)
