"""Search: facet counts kept in a small table of cells, and an index for "closed today"

Searches that neither text nor a radius narrows (a category and a price, "open now", distance
order) used to count their facets over every row of ``venue_search``: 150-300 ms at 100k venues,
growing with the index (docs/benchmarks.md). ``venue_search_facet_cells`` holds the same counts
grouped by what the facets and their filters look at, so a search sums a few thousand cells
whatever the number of venues:

- kind ``v``: venues per (time zone, weekly hours, category, price bucket, rating bucket);
- kind ``t``: venues per (tag, category, price bucket, rating bucket);
- kind ``h``: venues per (time zone, weekly hours, tag), for the tag facet of "open now".

Price and rating buckets are the facets' own (search.types PRICE_BUCKETS, RATING_BUCKETS):
``price_b`` is the bucket index (-1: no price), ``rating_b`` the index of the highest bucket
the rating reaches (3: below all of them, or no rating). search.pg_facets decides when a query
can be answered from the cells and falls back to counting rows when it can't.

Statement-level triggers with transition tables keep the cells (one upsert per statement,
cells in key order so concurrent writers lock them in the same order); a cell whose count falls
to 0 is deleted. Venues closed today are found through a GiST index on ``closed_days`` and
subtracted from the "open now" cells. A category's page in rating order walks a new index of
that category only (``ix_venue_search_category_rating``).

Revision ID: 0035
Revises: 0036
Create Date: 2026-11-23
"""

from alembic import op

revision = "0035"
down_revision = "0036"
branch_labels = None
depends_on = None

# The cells of a set of venue_search rows (a transition table), with a sign: +1 added, -1 removed.
CELLS_OF = """
    SELECT 'v' AS kind, r.timezone, r.week_hours, coalesce(r.category, '') AS category,
           coalesce(r.category_name, '') AS category_name, venue_search_price_bucket(r.price_from) AS price_b,
           venue_search_rating_bucket(r.rating) AS rating_b, '' AS tag, {sign} AS n
    FROM {rows} AS r
    UNION ALL
    SELECT 't', '', '{{}}'::int4multirange, coalesce(r.category, ''), coalesce(r.category_name, ''),
           venue_search_price_bucket(r.price_from), venue_search_rating_bucket(r.rating), t.tag, {sign}
    FROM {rows} AS r, unnest(r.tags) AS t(tag)
    UNION ALL
    SELECT 'h', r.timezone, r.week_hours, '', '', 0, 0, t.tag, {sign}
    FROM {rows} AS r, unnest(r.tags) AS t(tag)
"""

BUCKET_FUNCTIONS = [
    """
CREATE FUNCTION venue_search_price_bucket(price integer) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN price IS NULL THEN -1 WHEN price < 2500 THEN 0 WHEN price < 5000 THEN 1
                WHEN price < 10000 THEN 2 ELSE 3 END::smallint
$$
""",
    """
CREATE FUNCTION venue_search_rating_bucket(rating numeric) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN rating >= 4.5 THEN 0 WHEN rating >= 4.0 THEN 1 WHEN rating >= 3.0 THEN 2 ELSE 3 END::smallint
$$
""",
]

APPLY = """
    INSERT INTO venue_search_facet_cells AS c (kind, timezone, week_hours, category, category_name, price_b, rating_b, tag, n)
    SELECT kind, timezone, week_hours, category, category_name, price_b, rating_b, tag, sum(n)::integer
    FROM ({changes}) AS changes
    GROUP BY kind, timezone, week_hours, category, category_name, price_b, rating_b, tag
    HAVING sum(n) <> 0
    ORDER BY kind, timezone, week_hours, category, category_name, price_b, rating_b, tag
    ON CONFLICT (kind, timezone, week_hours, category, category_name, price_b, rating_b, tag)
    DO UPDATE SET n = c.n + EXCLUDED.n;
    DELETE FROM venue_search_facet_cells WHERE n <= 0;
"""

SYNC_FUNCTION = f"""
CREATE FUNCTION venue_search_facet_cells_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {APPLY.format(changes=CELLS_OF.format(rows="new_rows", sign="1"))}
    ELSIF TG_OP = 'UPDATE' THEN
        {APPLY.format(changes=CELLS_OF.format(rows="new_rows", sign="1") + " UNION ALL " + CELLS_OF.format(rows="old_rows", sign="-1"))}
    ELSE
        {APPLY.format(changes=CELLS_OF.format(rows="old_rows", sign="-1"))}
    END IF;
    RETURN NULL;
END $$
"""


# A category's venues in rating order, with the price to filter on in the index: a page of a
# category (and a price range) in rating order is an index-only walk of that category alone,
# never of every venue (a rare category and price pair used to walk the whole rating index).
CATEGORY_RATING_INDEX = (
    "CREATE INDEX ix_venue_search_category_rating ON venue_search"
    " (category, rating DESC NULLS LAST, review_count DESC, name, venue_id) INCLUDE (price_from)"
)


def upgrade():
    for function in BUCKET_FUNCTIONS:
        op.execute(function)
    op.execute(
        """
        CREATE TABLE venue_search_facet_cells (
            kind "char" NOT NULL,
            timezone text NOT NULL,
            week_hours int4multirange NOT NULL,
            category text NOT NULL,
            category_name text NOT NULL,
            price_b smallint NOT NULL,
            rating_b smallint NOT NULL,
            tag text NOT NULL,
            n integer NOT NULL,
            CONSTRAINT pk_venue_search_facet_cells
                PRIMARY KEY (kind, timezone, week_hours, category, category_name, price_b, rating_b, tag)
        )
        """
    )
    op.execute(
        "INSERT INTO venue_search_facet_cells"
        " SELECT kind, timezone, week_hours, category, category_name, price_b, rating_b, tag, sum(n)::integer"
        f" FROM ({CELLS_OF.format(rows='venue_search', sign='1')}) AS cells"
        " GROUP BY kind, timezone, week_hours, category, category_name, price_b, rating_b, tag"
    )
    op.execute(SYNC_FUNCTION)
    for event, refs in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER venue_search_facet_cells_on_{event.lower()} AFTER {event} ON venue_search"
            f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION venue_search_facet_cells_sync()"
        )
    op.execute("CREATE INDEX ix_venue_search_closed_days ON venue_search USING gist (closed_days)")
    op.execute(CATEGORY_RATING_INDEX)


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_venue_search_category_rating")
    op.execute("DROP INDEX IF EXISTS ix_venue_search_closed_days")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS venue_search_facet_cells_on_{event} ON venue_search")
    op.execute("DROP FUNCTION IF EXISTS venue_search_facet_cells_sync()")
    op.execute("DROP TABLE IF EXISTS venue_search_facet_cells")
    op.execute("DROP FUNCTION IF EXISTS venue_search_price_bucket(integer)")
    op.execute("DROP FUNCTION IF EXISTS venue_search_rating_bucket(numeric)")
