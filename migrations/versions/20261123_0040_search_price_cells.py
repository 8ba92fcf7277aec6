"""Search: facet cells by exact price, for price ranges typed as from/to

The facet cells of migration 0035 know a venue's price only by the price facet's bucket, so a
range typed as from/to (£30-£80) counted its facets row by row: 150-350 ms at 100k venues,
growing with the index (docs/benchmarks.md). Two more kinds of cell keep the exact price
("from", the cheapest service), without the hours:

- kind ``p``: venues per (category, price, price bucket, rating bucket);
- kind ``q``: venues per (tag, category, price, price bucket, rating bucket).

Prices are few (a few hundred distinct values at 100k venues), so these are a few thousand
cells (p) and a few tens of thousands (q), and a typed range sums the cells between its ends
(search.pg_facets). ``price`` is -1 for the other kinds and for a venue without a price.

With two more kinds, the triggers' work on a full reindex (every row rewritten) went from 53 s
to 92 s at 100k venues. So the trigger does nothing while the transaction setting
``cozywish.facet_cells_deferred`` is on, and a full reindex sets it and rebuilds every cell
once at its end with ``venue_search_facet_cells_rebuild()``, which counts them as the trigger
does, from the same SQL.

Revision ID: 0040
Revises: 0039
Create Date: 2026-11-23
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

COLUMNS = "kind, timezone, week_hours, category, category_name, price_b, rating_b, tag, price"

CELLS_OF = """
    SELECT 'v' AS kind, r.timezone, r.week_hours, coalesce(r.category, '') AS category,
           coalesce(r.category_name, '') AS category_name, venue_search_price_bucket(r.price_from) AS price_b,
           venue_search_rating_bucket(r.rating) AS rating_b, '' AS tag, -1 AS price, {sign} AS n
    FROM {rows} AS r
    UNION ALL
    SELECT 't', '', '{{}}'::int4multirange, coalesce(r.category, ''), coalesce(r.category_name, ''),
           venue_search_price_bucket(r.price_from), venue_search_rating_bucket(r.rating), t.tag, -1, {sign}
    FROM {rows} AS r, unnest(r.tags) AS t(tag)
    UNION ALL
    SELECT 'h', r.timezone, r.week_hours, '', '', 0, 0, t.tag, -1, {sign}
    FROM {rows} AS r, unnest(r.tags) AS t(tag)
    UNION ALL
    SELECT 'p', '', '{{}}'::int4multirange, coalesce(r.category, ''), coalesce(r.category_name, ''),
           venue_search_price_bucket(r.price_from), venue_search_rating_bucket(r.rating), '',
           coalesce(r.price_from, -1), {sign}
    FROM {rows} AS r
    UNION ALL
    SELECT 'q', '', '{{}}'::int4multirange, coalesce(r.category, ''), coalesce(r.category_name, ''),
           venue_search_price_bucket(r.price_from), venue_search_rating_bucket(r.rating), t.tag,
           coalesce(r.price_from, -1), {sign}
    FROM {rows} AS r, unnest(r.tags) AS t(tag)
"""

APPLY = f"""
    INSERT INTO venue_search_facet_cells AS c ({COLUMNS}, n)
    SELECT {COLUMNS}, sum(n)::integer
    FROM ({{changes}}) AS changes
    GROUP BY {COLUMNS}
    HAVING sum(n) <> 0
    ORDER BY {COLUMNS}
    ON CONFLICT ({COLUMNS})
    DO UPDATE SET n = c.n + EXCLUDED.n;
    DELETE FROM venue_search_facet_cells WHERE n <= 0;
"""


def sync_function(cells_of: str) -> str:
    """The trigger function keeping the cells ``cells_of`` lists (a template with {rows}, {sign})."""
    return f"""
CREATE OR REPLACE FUNCTION venue_search_facet_cells_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A full reindex rebuilds every cell once at its end (search.pg_index.reindex_all).
    IF current_setting('cozywish.facet_cells_deferred', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        {APPLY.format(changes=cells_of.format(rows="new_rows", sign="1"))}
    ELSIF TG_OP = 'UPDATE' THEN
        {APPLY.format(changes=cells_of.format(rows="new_rows", sign="1") + " UNION ALL " + cells_of.format(rows="old_rows", sign="-1"))}
    ELSE
        {APPLY.format(changes=cells_of.format(rows="old_rows", sign="-1"))}
    END IF;
    RETURN NULL;
END $$
"""


def rebuild_function(cells_of: str) -> str:
    """The function that counts every cell ``cells_of`` lists afresh (a full reindex's end)."""
    return f"""
CREATE OR REPLACE FUNCTION venue_search_facet_cells_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM venue_search_facet_cells;
    INSERT INTO venue_search_facet_cells ({COLUMNS}, n)
    SELECT {COLUMNS}, sum(n)::integer FROM ({cells_of.format(rows="venue_search", sign="1")}) AS cells
    GROUP BY {COLUMNS};
$$
"""


SYNC_FUNCTION = sync_function(CELLS_OF)
REBUILD_FUNCTION = rebuild_function(CELLS_OF)


def upgrade():
    op.execute("ALTER TABLE venue_search_facet_cells ADD COLUMN price integer NOT NULL DEFAULT -1")
    op.execute("ALTER TABLE venue_search_facet_cells DROP CONSTRAINT pk_venue_search_facet_cells")
    op.execute(
        f"ALTER TABLE venue_search_facet_cells ADD CONSTRAINT pk_venue_search_facet_cells PRIMARY KEY ({COLUMNS})"
    )
    op.execute(SYNC_FUNCTION)
    op.execute(REBUILD_FUNCTION)
    # The new kinds for the venues already indexed (the triggers keep them from now on).
    op.execute("LOCK TABLE venue_search IN SHARE MODE")
    op.execute("SELECT venue_search_facet_cells_rebuild()")
    op.execute(
        "CREATE INDEX ix_venue_search_facet_cells_price ON venue_search_facet_cells (kind, category, price)"
        " WHERE kind IN ('p', 'q')"
    )


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS venue_search_facet_cells_rebuild()")
    op.execute("DROP INDEX IF EXISTS ix_venue_search_facet_cells_price")
    op.execute("DELETE FROM venue_search_facet_cells WHERE kind IN ('p', 'q')")
    op.execute("ALTER TABLE venue_search_facet_cells DROP CONSTRAINT pk_venue_search_facet_cells")
    op.execute("ALTER TABLE venue_search_facet_cells DROP COLUMN price")
    op.execute(
        "ALTER TABLE venue_search_facet_cells ADD CONSTRAINT pk_venue_search_facet_cells"
        " PRIMARY KEY (kind, timezone, week_hours, category, category_name, price_b, rating_b, tag)"
    )
    # 0035's function, which knows no price.
    path = Path(__file__).with_name("20261123_0035_search_facet_cells.py")
    spec = importlib.util.spec_from_file_location("migration_0035", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    op.execute(module.SYNC_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
