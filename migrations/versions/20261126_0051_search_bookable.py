"""Search: whether each venue can take paid bookings, so those that can't rank last

A venue takes paid bookings only with an enabled payout account (app.payouts.accounts, unless
PAYOUTS_COLLECT_BEFORE_ENABLED lets every venue). ``venue_search.bookable`` holds it as the
index writer found it (search.pg_index; a payout account's change re-indexes its venue). Venues
that can't are few, so a partial index lists them: the search reads how many there are once per
index state, and only when there are some does it put them after the others (search.postgres,
docs/search.md "Venues that can't take bookings yet").

Rows indexed before this migration are filled from the payout accounts here, unless the app
runs with PAYOUTS_COLLECT_BEFORE_ENABLED (then every venue stays bookable). A deployment that
changes that setting later runs ``flask search reindex``.

Revision ID: 0051
Revises: 0050
Create Date: 2026-11-26
"""

from alembic import op
from flask import current_app, has_app_context

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL 11 and later add the column without rewriting the table.
    op.execute("ALTER TABLE venue_search ADD COLUMN bookable boolean NOT NULL DEFAULT true")
    collect_before = has_app_context() and bool(current_app.config.get("PAYOUTS_COLLECT_BEFORE_ENABLED"))
    if not collect_before:
        op.execute(
            "UPDATE venue_search vs SET bookable = false WHERE NOT EXISTS"
            " (SELECT 1 FROM connected_accounts ca WHERE ca.venue_id = vs.venue_id AND ca.status = 'enabled')"
        )
    # search.postgres.UNBOOKABLE_SQL spells the same predicate.
    op.execute("CREATE INDEX ix_venue_search_unbookable ON venue_search (venue_id) WHERE NOT bookable")


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_unbookable")
    op.execute("ALTER TABLE venue_search DROP COLUMN bookable")
