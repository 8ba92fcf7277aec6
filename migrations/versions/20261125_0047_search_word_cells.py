"""Search: the words of each venue with the map cell it lies in, as an indexed array, to find a
word's venues within a radius through one index

Text within a radius ANDed two bitmaps: the words' matches across the country and every venue
in the circle's box. In a dense city at a million venues, the box alone is 185,092 entries
(within 10 km of central London), 26 ms to read before a row is; "massage" added 99,996.

``venue_search_word_cells(search_vector, lat, lng)`` lists each lexeme of the venue's text
vector with the map cell it lies in, as ``lexeme@cell``: the cell of migration 0046 (0.05 by
0.08 degrees), ``(floor(lat / 0.05) + 2000) * 10^4 + floor(lng / 0.08) + 3000``. For a radius,
the keys of each group's words in the cells the circle touches give, through a GIN index, the
venues near the circle holding one of the words: "massage" within 10 km of central London at
a million venues, 20,466 entries, 3 ms; "juniper" 2,388. The words' tsquery and the distance
stay the exact tests (search.geo.word_cell_keys, search.postgres).

Revision ID: 0047
Revises: 0046
Create Date: 2026-11-25
"""

from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None

# search.geo.word_cell_keys spells the same keys; the cell is migration 0046's. Two functions,
# so that the cell is worked out once per venue (the outer one is a single expression, which
# the planner inlines). PARALLEL UNSAFE as migration 0046's, for the same reason: a sample
# read through the index stops at 1,001 rows, which workers would read past.
# The inner function is called schema-qualified: PostgreSQL 17 and later run index builds,
# ANALYZE and VACUUM with search_path = pg_catalog, pg_temp, where an unqualified name is
# not found (the embedded PostgreSQL 18 failed to build the index).
WORD_CELL_KEYS_FUNCTION = """
CREATE FUNCTION venue_search_word_cell_keys(v tsvector, cell bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
    SELECT coalesce(array_agg(l || '@' || cell), '{}') FROM unnest(tsvector_to_array(v)) AS l
    WHERE cell IS NOT NULL
$$"""

WORD_CELLS_FUNCTION = """
CREATE FUNCTION venue_search_word_cells(v tsvector, lat double precision, lng double precision) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$
    SELECT public.venue_search_word_cell_keys(
        v, (CAST(floor(lat / 0.05) AS bigint) + 2000) * 10000 + CAST(floor(lng / 0.08) AS bigint) + 3000
    )
$$"""


def upgrade() -> None:
    op.execute(WORD_CELL_KEYS_FUNCTION)
    op.execute(WORD_CELLS_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION venue_search_word_cells(tsvector, double precision, double precision) IS"
        " 'Each lexeme of the text vector with the 0.05 by 0.08 degree cell the venue lies in: lexeme@cell.'"
    )
    # search.postgres.WORD_CELLS_SQL spells the same expression: the planner uses an index on an
    # expression only for a condition on that expression.
    op.execute(
        "CREATE INDEX ix_venue_search_word_cells ON venue_search"
        " USING gin (venue_search_word_cells(search_vector, lat, lng))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_word_cells")
    op.execute("DROP FUNCTION venue_search_word_cells(tsvector, double precision, double precision)")
    op.execute("DROP FUNCTION venue_search_word_cell_keys(tsvector, bigint)")
