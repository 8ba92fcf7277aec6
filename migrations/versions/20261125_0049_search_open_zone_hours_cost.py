"""Search: the hours' keys function declared as costly as it is, so "open now" with words reads
the hours' index instead of computing the keys row by row

``venue_search_open_zone_hours()`` (migration 0048) is there to be looked up in its index; worked
out for a row, it costs about 18 us (a SQL function that can't be inlined: an executor each
call). The planner, counting it at the default cost of a function and trusting its estimate of
the words' matches (77 venues for "thermal suite", which 2,761 hold), sometimes left the index
out and tested the keys on every open match: "open now thermal suite" at 20:36 on a Friday
took 19 ms at 100k venues, 8 ms through both indexes. At COST 10000 it reads the index. PARALLEL
UNSAFE, as migration 0046's functions: at that cost the planner would otherwise start a worker
for the sample, which a CTE reads only as far as 1,001 rows.

Revision ID: 0049
Revises: 0048
Create Date: 2026-11-25
"""

from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

FUNCTION = "venue_search_open_zone_hour_keys(int4multirange, integer)"


def upgrade() -> None:
    op.execute(f"ALTER FUNCTION {FUNCTION} COST 10000 PARALLEL UNSAFE")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {FUNCTION} COST 100 PARALLEL SAFE")
