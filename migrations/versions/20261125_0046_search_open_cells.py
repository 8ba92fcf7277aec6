"""Search: where and when each venue is open, as an indexed array, to find the venues open now
within a radius through one index

"Open now" within a radius read every venue in the circle's box through the location index and
tested each row's hours: at 19:00-21:00 or before 08:00, when a tenth to a quarter of venues are
open, that is thousands of rows for a page (16,239 rows read for 1,001 open ones within 10 km of
west London at 07:19, 17 ms of the statement at 100k venues). The hours' index of migration 0045
cannot help: the planner estimates the circle at a hundred rows and never ANDs the two.

``venue_search_open_cells(week_hours, timezone, lat, lng)`` lists one key per two local hours of
the week the venue is open in (blocks 0-83: Monday 00:00-02:00 is 0), with its time zone, and
the map cell it lies in: a cell is 0.05 by 0.08 degrees (about 5.5 km by 5.5 km in Britain), and
the key is ``(zone * 84 + block) * 10^8 + (floor(lat / 0.05) + 2000) * 10^4 + floor(lng / 0.08)
+ 3000``, where ``zone`` is the first 12 bits of the md5 of the zone's name (two zones sharing a
code only add candidates). The keys of the cells a circle's bounding box covers, for each zone's
block of now, give through a GIN index every venue near the circle open at some time in these
two hours, a superset of those open now within it; the exact tests (the distance, the minute,
the closed days) stay on each row (search.geo.open_cell_keys, search.postgres). Within 10 km of
west London at 07:19: 2,521 candidates, 2.9 ms. Blocks of two hours, not one: half the
entries (a full reindex that rewrites every row at 100k venues: 12 s more for hourly keys, 6 s
for these), and the same search times in the benchmark.

Revision ID: 0046
Revises: 0045
Create Date: 2026-11-25
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

# search.geo.OPEN_CELL_LAT_DEG, OPEN_CELL_LNG_DEG, OPEN_CELL_MINUTES and open_cell_keys spell the
# same key. Two functions, so that the zone's code and the cell are worked out once per venue,
# not once per block: the outer one is a single expression, which the planner inlines. Written
# as one function with a subquery, the index cost 81 microseconds a venue to compute (8 s of a
# full reindex at 100k venues); as these, 13.
# PARALLEL UNSAFE keeps a search through the index in one process: the planner costs the
# sample's whole scan (a CTE read only as far as 1,001 rows) and would start two workers, which
# read on past the sample (28 ms instead of 3 for the case above).
# The inner function is called schema-qualified: PostgreSQL 17 and later run index builds,
# ANALYZE and VACUUM with search_path = pg_catalog, pg_temp, where an unqualified name is
# not found (the embedded PostgreSQL 18 failed to build the index).
OPEN_CELL_KEYS_FUNCTION = """
CREATE FUNCTION venue_search_open_cell_keys(hours int4multirange, zone bigint, cell bigint) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
    SELECT coalesce(array_agg((zone + b) * 100000000 + cell), '{}')
    FROM unnest(hours) AS r,
         generate_series(greatest(lower(r), 0) / 120, (least(upper(r), 10080) - 1) / 120) AS b
    WHERE NOT lower_inf(r) AND NOT upper_inf(r) AND cell IS NOT NULL
$$"""

OPEN_CELLS_FUNCTION = """
CREATE FUNCTION venue_search_open_cells(
    hours int4multirange, timezone text, lat double precision, lng double precision
) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
    SELECT public.venue_search_open_cell_keys(
        hours,
        CAST(CAST(CAST('x' || substr(md5(timezone), 1, 3) AS bit(12)) AS integer) AS bigint) * 84,
        (CAST(floor(lat / 0.05) AS bigint) + 2000) * 10000 + CAST(floor(lng / 0.08) AS bigint) + 3000
    )
$$"""


def upgrade() -> None:
    op.execute(OPEN_CELL_KEYS_FUNCTION)
    op.execute(OPEN_CELLS_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION venue_search_open_cells(int4multirange, text, double precision, double precision) IS"
        " 'One key per two hours of the week the venue is open in (local time, with a code of its zone)"
        " and the 0.05 by 0.08 degree cell it lies in.'"
    )
    # search.postgres.OPEN_CELLS_SQL spells the same expression: the planner uses an index on an
    # expression only for a condition on that expression.
    op.execute(
        "CREATE INDEX ix_venue_search_open_cells ON venue_search"
        " USING gin (venue_search_open_cells(week_hours, timezone, lat, lng))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_open_cells")
    op.execute("DROP FUNCTION venue_search_open_cells(int4multirange, text, double precision, double precision)")
    op.execute("DROP FUNCTION venue_search_open_cell_keys(int4multirange, bigint, bigint)")
