"""Search: the hours' index of migration 0045 keyed by time zone too

"Open now" asks each zone's own hour of the week: at 07:26 in London it is 08:26 in Paris, and
the index of migration 0045 (hours without zones) gave every venue open at 07:00-08:00 or at
08:00-09:00, wherever it is. With a phrase in the words ("blow dry"), the text index rechecks
every row it gives, and the recheck computes the hours again for each: "open now blow-dry" at
07:26 on a Wednesday read 3,805 rows (59 ms of the statement at 100k venues) for 1,001 open.

``venue_search_open_zone_hours(week_hours, timezone)`` lists ``zone * 168 + hour`` for each
local hour of the week the venue is open in, ``zone`` being the 12-bit code of its zone's
name that migration 0046 uses (the first 12 bits of its md5): the same search asks for its
hour in London of the venues in London only (2,213 candidates for "blow-dry" instead of
5,026). The index replaces migration 0045's, so a full reindex writes as many entries as
before; ``venue_search_open_hours`` stays (the keys are computed from the same ranges).

Revision ID: 0048
Revises: 0047
Create Date: 2026-11-25
"""

from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None

# search.geo.zone_code and search.postgres (the open_hours keys) spell the same key. Two
# functions, so that the zone's code is worked out once per venue (the outer one is a single
# expression, which the planner inlines).
# The inner function is called schema-qualified: PostgreSQL 17 and later run index builds,
# ANALYZE and VACUUM with search_path = pg_catalog, pg_temp, where an unqualified name is
# not found (the embedded PostgreSQL 18 failed to build the index).
ZONE_HOUR_KEYS_FUNCTION = """
CREATE FUNCTION venue_search_open_zone_hour_keys(hours int4multirange, zone integer) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(zone + h), '{}')
    FROM unnest(hours) AS r,
         generate_series(greatest(lower(r), 0) / 60, (least(upper(r), 10080) - 1) / 60) AS h
    WHERE NOT lower_inf(r) AND NOT upper_inf(r)
$$"""

ZONE_HOURS_FUNCTION = """
CREATE FUNCTION venue_search_open_zone_hours(hours int4multirange, timezone text) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT public.venue_search_open_zone_hour_keys(
        hours, CAST(CAST('x' || substr(md5(timezone), 1, 3) AS bit(12)) AS integer) * 168
    )
$$"""


def upgrade() -> None:
    op.execute(ZONE_HOUR_KEYS_FUNCTION)
    op.execute(ZONE_HOURS_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION venue_search_open_zone_hours(int4multirange, text) IS"
        " 'zone * 168 + hour for each local hour of the week (0-167) the venue is open in.'"
    )
    op.execute("DROP INDEX ix_venue_search_open_hours")
    # search.postgres.OPEN_HOURS_SQL spells the same expression.
    op.execute(
        "CREATE INDEX ix_venue_search_open_zone_hours ON venue_search"
        " USING gin (venue_search_open_zone_hours(week_hours, timezone))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_open_zone_hours")
    op.execute(
        "CREATE INDEX ix_venue_search_open_hours ON venue_search USING gin (venue_search_open_hours(week_hours))"
    )
    op.execute("DROP FUNCTION venue_search_open_zone_hours(int4multirange, text)")
    op.execute("DROP FUNCTION venue_search_open_zone_hour_keys(int4multirange, integer)")
