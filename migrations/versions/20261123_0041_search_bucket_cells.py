"""Search: facet cells by bucket alone, without the hours

The "v" cells of migration 0035 are kept per time zone and weekly hours as well, so "open now"
can sum them. A search without "open now" (a category and a price bucket) summed them too:
5,742 cells at 100k venues against 2,329 at 10k, since venues have ever more distinct hours,
and that sum was the slowest statement of "category + price" at 100k (5-7 ms, growing with the
index). Kind ``b`` holds the same counts per (category, price bucket, rating bucket) alone: at
most a few hundred cells, whatever the size (search.pg_facets reads it).

Revision ID: 0041
Revises: 0040
Create Date: 2026-11-23
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def _migration_0040():
    path = Path(__file__).with_name("20261123_0040_search_price_cells.py")
    spec = importlib.util.spec_from_file_location("migration_0040", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells_of(module) -> str:
    return (
        module.CELLS_OF
        + """    UNION ALL
    SELECT 'b', '', '{{}}'::int4multirange, coalesce(r.category, ''), coalesce(r.category_name, ''),
           venue_search_price_bucket(r.price_from), venue_search_rating_bucket(r.rating), '', -1, {sign}
    FROM {rows} AS r
"""
    )


def upgrade():
    module = _migration_0040()
    op.execute(module.sync_function(_cells_of(module)))
    op.execute(module.rebuild_function(_cells_of(module)))
    op.execute("LOCK TABLE venue_search IN SHARE MODE")
    op.execute("SELECT venue_search_facet_cells_rebuild()")


def downgrade():
    module = _migration_0040()
    op.execute(module.SYNC_FUNCTION)
    op.execute(module.REBUILD_FUNCTION)
    op.execute("DELETE FROM venue_search_facet_cells WHERE kind = 'b'")
