"""Search: "open now" facet counts as weekly step functions, one lookup per zone and facet value

"Open now" without other filters summed the "v" and "h" facet cells of migration 0035 whose
weekly hours contain the moment: about 2,500 and 1,900 cells at 100k venues, each tested for
containment and summed several times (12-17 ms of the search's 19 ms at 100k, the statement
that kept "open now" over its 25 ms target; docs/benchmarks.md).

``venue_search_open_profiles`` holds, per (time zone, facet, value), how many venues are open
at each minute of the week, as a step function: ``counts[i]`` venues are open from minute
``edges[i]`` until ``edges[i + 1]`` (none before ``edges[1]``). ``facet`` is "total" (value
''), "category" (the slug, ``label`` its name), "price" and "rating" (the bucket index of
migration 0035 as text) and "tag". The count at minute m is
``counts[width_bucket(m, edges)]``: a binary search in C, so "open now" reads a few hundred
rows whatever the number of venues, and subtracts the venues closed today (a closure) as before.

The facet cells' trigger keeps the profiles too: each statement's changed rows become a step
function per key (+1 where a new row's hours start, -1 where they end, the reverse for the old
rows), added to the stored one with ``venue_search_steps_add`` inside the upsert's ON CONFLICT,
which works on the latest version of the row, so concurrent writers' additions all count (as
the cells' increments do). Keys whose functions cancel (an update that changes nothing the
facets see) are not written. A full reindex rebuilds them from the cells once, at its end, as it
does the cells (``venue_search_facet_cells_rebuild()``).

Revision ID: 0043
Revises: 0042
Create Date: 2026-11-24
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

KEY = "timezone, facet, value"

# Two step functions added: the value at every edge of either is the sum of both there; an edge
# where the sum does not change is dropped (so a function that is 0 everywhere has no edges).
STEPS_ADD_FUNCTION = """
CREATE OR REPLACE FUNCTION venue_search_steps_add(
    a_edges integer[], a_counts integer[], b_edges integer[], b_counts integer[],
    OUT edges integer[], OUT counts integer[]
) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(e ORDER BY e), '{}'), coalesce(array_agg(n ORDER BY e), '{}')
    FROM (
        SELECT e, n, lag(n, 1, 0) OVER (ORDER BY e) AS before
        FROM (
            SELECT e, coalesce(a_counts[width_bucket(e, a_edges)], 0)
                      + coalesce(b_counts[width_bucket(e, b_edges)], 0) AS n
            FROM (SELECT unnest(a_edges) UNION SELECT unnest(b_edges)) AS u(e)
        ) AS summed
    ) AS steps
    WHERE n <> before
$$
"""

# The facets a row of venue_search counts in, with its weight: (facet, value, label).
FACETS_OF_ROW = """
    SELECT 'total', '', ''
    UNION ALL SELECT 'category', coalesce({r}.category, ''), coalesce({r}.category_name, '')
    UNION ALL SELECT 'price', venue_search_price_bucket({r}.price_from)::text, ''
    UNION ALL SELECT 'rating', venue_search_rating_bucket({r}.rating)::text, ''
    UNION ALL SELECT 'tag', t.tag, '' FROM unnest({r}.tags) AS t(tag)
"""

# Where a set of venue_search rows' hours start (+sign) and end (-sign), per key.
ROW_POINTS = f"""
    SELECT r.timezone, f.facet, f.value, f.label, e.at, e.d
    FROM {{rows}} AS r
    CROSS JOIN LATERAL unnest(r.week_hours) AS h(hours)
    CROSS JOIN LATERAL (VALUES (lower(h.hours), {{sign}}), (upper(h.hours), -({{sign}}))) AS e(at, d)
    CROSS JOIN LATERAL ({FACETS_OF_ROW.format(r="r")}) AS f(facet, value, label)
"""

# The same from the facet cells ("v" for every facet but the tags, "h" for the tags), weighted by
# their counts: every profile at once, for a rebuild.
CELL_POINTS = """
    SELECT c.timezone, f.facet, f.value, f.label, e.at, e.d
    FROM venue_search_facet_cells AS c
    CROSS JOIN LATERAL unnest(c.week_hours) AS h(hours)
    CROSS JOIN LATERAL (VALUES (lower(h.hours), c.n), (upper(h.hours), -c.n)) AS e(at, d)
    CROSS JOIN LATERAL (
        SELECT 'total', '', '' WHERE c.kind = 'v'
        UNION ALL SELECT 'category', c.category, c.category_name WHERE c.kind = 'v'
        UNION ALL SELECT 'price', c.price_b::text, '' WHERE c.kind = 'v'
        UNION ALL SELECT 'rating', c.rating_b::text, '' WHERE c.kind = 'v'
        UNION ALL SELECT 'tag', c.tag, '' WHERE c.kind = 'h'
    ) AS f(facet, value, label)
    WHERE c.kind IN ('v', 'h')
"""

# Points per key summed into a step function (the running sum at each point), keys whose
# function is 0 everywhere left out, and each written as venue_search_steps_add normalises it.
STEPS = f"""
    SELECT d.timezone, d.facet, d.value, d.label, s.edges, s.counts
    FROM (
        SELECT {KEY}, max(label) AS label, array_agg(at ORDER BY at) AS edges, array_agg(n ORDER BY at) AS counts
        FROM (
            SELECT {KEY}, label, at, (sum(d) OVER (PARTITION BY {KEY} ORDER BY at))::integer AS n
            FROM (SELECT {KEY}, max(label) AS label, at, sum(d) AS d FROM ({{points}}) AS p GROUP BY {KEY}, at) AS summed
        ) AS running
        GROUP BY {KEY}
        HAVING bool_or(n <> 0)
    ) AS d
    CROSS JOIN LATERAL venue_search_steps_add('{{{{}}}}', '{{{{}}}}', d.edges, d.counts) AS s
"""

APPLY_PROFILES = f"""
    INSERT INTO venue_search_open_profiles AS p ({KEY}, label, edges, counts)
    {{steps}}
    ORDER BY 1, 2, 3
    ON CONFLICT ({KEY}) DO UPDATE
    SET (edges, counts) = (
            SELECT s.edges, s.counts FROM venue_search_steps_add(p.edges, p.counts, EXCLUDED.edges, EXCLUDED.counts) AS s
        ),
        label = CASE WHEN EXCLUDED.label <> '' THEN EXCLUDED.label ELSE p.label END;
    DELETE FROM venue_search_open_profiles WHERE cardinality(edges) = 0;
"""


def _load(name: str):
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _steps(rows_points: str) -> str:
    return STEPS.format(points=rows_points)


def sync_function(cells_of: str, apply_cells: str) -> str:
    """Migration 0041's trigger function (the cells ``cells_of`` lists), keeping the profiles too."""
    new = ROW_POINTS.format(rows="new_rows", sign="1")
    old = ROW_POINTS.format(rows="old_rows", sign="-1")
    return f"""
CREATE OR REPLACE FUNCTION venue_search_facet_cells_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A full reindex rebuilds every cell and profile once at its end (search.pg_index.reindex_all).
    IF current_setting('cozywish.facet_cells_deferred', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        {apply_cells.format(changes=cells_of.format(rows="new_rows", sign="1"))}
        {APPLY_PROFILES.format(steps=_steps(new))}
    ELSIF TG_OP = 'UPDATE' THEN
        {apply_cells.format(changes=cells_of.format(rows="new_rows", sign="1") + " UNION ALL " + cells_of.format(rows="old_rows", sign="-1"))}
        {APPLY_PROFILES.format(steps=_steps(new + " UNION ALL " + old))}
    ELSE
        {apply_cells.format(changes=cells_of.format(rows="old_rows", sign="-1"))}
        {APPLY_PROFILES.format(steps=_steps(old))}
    END IF;
    RETURN NULL;
END $$
"""


def rebuild_function(rebuild_cells: str) -> str:
    """0040's rebuild of every cell, then every profile from the cells."""
    return rebuild_cells.replace(
        "\n$$",
        f"""
    DELETE FROM venue_search_open_profiles;
    INSERT INTO venue_search_open_profiles ({KEY}, label, edges, counts)
    {_steps(CELL_POINTS)};
$$""",
        1,
    )


def upgrade():
    m40 = _load("20261123_0040_search_price_cells.py")
    m41 = _load("20261123_0041_search_bucket_cells.py")
    cells_of = m41._cells_of(m40)
    op.execute(
        f"""
        CREATE TABLE venue_search_open_profiles (
            timezone text NOT NULL,
            facet text NOT NULL,
            value text NOT NULL,
            label text NOT NULL,
            edges integer[] NOT NULL,
            counts integer[] NOT NULL,
            CONSTRAINT pk_venue_search_open_profiles PRIMARY KEY ({KEY})
        )
        """
    )
    op.execute(STEPS_ADD_FUNCTION)
    op.execute(sync_function(cells_of, m40.APPLY))
    op.execute(rebuild_function(m40.rebuild_function(cells_of)))
    op.execute("LOCK TABLE venue_search IN SHARE MODE")
    op.execute("SELECT venue_search_facet_cells_rebuild()")


def downgrade():
    m40 = _load("20261123_0040_search_price_cells.py")
    m41 = _load("20261123_0041_search_bucket_cells.py")
    cells_of = m41._cells_of(m40)
    op.execute(m40.sync_function(cells_of))
    op.execute(m40.rebuild_function(cells_of))
    op.execute("DROP TABLE venue_search_open_profiles")
    op.execute("DROP FUNCTION venue_search_steps_add(integer[], integer[], integer[], integer[])")
