"""Search: the hours of the week each venue is open in, as an indexed array, to find the venues
open now among a word's matches through an index

"Open now" with words read the words' matches and tested each row's hours until 1,001 were open:
late in the day, when a tenth of the venues are open, that is every match of a common word
("open now manicure" at 21:00: 8,788 rows tested, 28 ms of its 35 at 100k venues).

``venue_search_open_hours(week_hours)`` lists the hours of the week (0 for Monday 00:00-01:00
to 167, local time) in which the venue is open at some minute. A GIN index on that expression
gives, for an hour, every venue open at some time in it, a superset of those open at a given
minute of it: AND'ed with the text index's matches (a BitmapAnd), the hours are tested only on
venues open around now. The exact test (``week_hours`` contains the minute, the day is not
closed) stays on every row (search.postgres.OPEN_NOW_SQL). An index on the expression, not a
stored column: the column made every row 160 bytes wider (129 to 154 MB at 100k venues, more
than the default 128 MB of shared buffers), which slowed every search that reads rows.

Revision ID: 0045
Revises: 0044
Create Date: 2026-11-25
"""

from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

OPEN_HOURS_FUNCTION = """
CREATE FUNCTION venue_search_open_hours(hours int4multirange) RETURNS smallint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT CAST(h AS smallint) ORDER BY CAST(h AS smallint)), '{}')
    FROM unnest(hours) AS r,
         generate_series(greatest(lower(r), 0) / 60, (least(upper(r), 10080) - 1) / 60) AS h
    WHERE NOT lower_inf(r) AND NOT upper_inf(r)
$$"""


def upgrade() -> None:
    op.execute(OPEN_HOURS_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION venue_search_open_hours(int4multirange) IS"
        " 'The hours of the week (0-167) that opening hours in local minutes of the week overlap.'"
    )
    # search.postgres.OPEN_HOURS_SQL spells the same expression: the planner uses an index on
    # an expression only for a condition on that expression.
    op.execute(
        "CREATE INDEX ix_venue_search_open_hours ON venue_search USING gin (venue_search_open_hours(week_hours))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_open_hours")
    op.execute("DROP FUNCTION venue_search_open_hours(int4multirange)")
