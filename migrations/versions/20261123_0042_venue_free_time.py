"""Search: free time kept ahead for each venue

"Today", "tomorrow" and "this weekend" asked the slot engine about each candidate venue at
query time (its bookings, blocks and schedules read, every service's starts tried): most of the
cost of those searches. ``venue_free_starts`` keeps each searchable venue's free start times for
the coming days, by service duration, as ranges of whole minutes since the epoch (UTC); a
window search reads one row per duration instead.

Nothing writes the answer where a booking is made: a trigger on every table the slot engine
reads (bookings, blocks, services, team, who performs what, working hours, exceptions, time
off, and the index row's hours and closures) appends the venue's id to ``venue_free_changes``,
a plain insert that takes no lock another transaction waits on. A venue with a change row, no
row in ``venue_free_time``, a hold that has expired since, or days not covered, is asked of the
slot engine as before; the refresh job (search/free_time.py) recomputes it and deletes the
change rows it read before reading the data, so a change made meanwhile keeps it stale.

Revision ID: 0042
Revises: 0041
Create Date: 2026-11-23
"""

from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

# Each table the slot engine reads, and the columns whose change can move a free time.
WATCHED = {
    "bookings": "status, starts_at, ends_at, blocks_until, quantity, service_id, team_member_id, venue_id, "
    "hold_expires_at",
    "time_blocks": "venue_id, team_member_id, starts_at, ends_at",
    "services": "venue_id, is_active, duration_minutes, buffer_minutes, capacity",
    "team_members": "venue_id",
    "team_member_services": "team_member_id, service_id",
    "working_hours": None,
    "schedule_exceptions": None,
    "time_off": None,
    "venue_search": "timezone, week_hours, closed_days",
}

CHANGED_FUNCTION = """
CREATE OR REPLACE FUNCTION venue_free_time_changed() RETURNS trigger AS $$
DECLARE
    r jsonb;
BEGIN
    -- NEW is NULL on DELETE and OLD on INSERT; an update may move a row to another venue.
    FOREACH r IN ARRAY ARRAY[to_jsonb(NEW), to_jsonb(OLD)] LOOP
        CONTINUE WHEN r IS NULL;
        INSERT INTO venue_free_changes (venue_id)
        SELECT DISTINCT v FROM (
            SELECT (r ->> 'venue_id')::integer AS v
            UNION ALL
            SELECT tm.venue_id FROM team_members tm
            WHERE tm.id = (r ->> 'team_member_id')::integer AND TG_TABLE_NAME <> 'team_members'
            UNION ALL
            SELECT s.venue_id FROM services s
            WHERE s.id = (r ->> 'service_id')::integer AND TG_TABLE_NAME = 'team_member_services'
        ) AS touched
        WHERE v IS NOT NULL;
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.execute(
        """
CREATE TABLE venue_free_time (
    venue_id integer PRIMARY KEY REFERENCES venues (id) ON DELETE CASCADE,
    computed_at timestamptz NOT NULL,
    covers_until timestamptz NOT NULL,
    valid_until timestamptz,
    rules text NOT NULL
);
COMMENT ON COLUMN venue_free_time.covers_until IS 'starts up to this instant were computed';
COMMENT ON COLUMN venue_free_time.valid_until IS 'the first hold it counted as busy expires then';
COMMENT ON COLUMN venue_free_time.rules IS 'slot interval/min notice/max advance, in minutes';
-- Its venue's row in venue_free_time is written with it (search.free_time); a foreign key to
-- that table would be checked against a table that grows from empty as the refresh fills it,
-- and a worker's cached plan for the check kept reading it sequentially (20 ms a venue at 70k).
CREATE TABLE venue_free_starts (
    venue_id integer NOT NULL REFERENCES venues (id) ON DELETE CASCADE,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
    starts int4multirange NOT NULL,
    PRIMARY KEY (venue_id, duration_minutes)
);
COMMENT ON COLUMN venue_free_starts.starts IS
    'free starts as [first, last + 1) runs, every slot interval, minutes since the epoch (UTC)';
CREATE TABLE venue_free_changes (
    id bigserial PRIMARY KEY,
    venue_id integer NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_venue_free_changes_venue_id ON venue_free_changes (venue_id);
"""
    )
    op.execute(CHANGED_FUNCTION)
    for table, columns in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_free_time AFTER INSERT OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION venue_free_time_changed()"
        )
        # An update counts when a watched value changes (a reindex rewrites every row as it was).
        if columns:
            changed = (
                f"(OLD.{columns.replace(', ', ', OLD.')}) IS DISTINCT FROM (NEW.{columns.replace(', ', ', NEW.')})"
            )
        else:
            changed = "OLD IS DISTINCT FROM NEW"
        op.execute(
            f"CREATE TRIGGER {table}_free_time_update AFTER UPDATE ON {table}"
            f" FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION venue_free_time_changed()"
        )


def downgrade():
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_free_time ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_free_time_update ON {table}")
    op.execute("DROP FUNCTION venue_free_time_changed()")
    op.execute("DROP TABLE venue_free_changes")
    op.execute("DROP TABLE venue_free_starts")
    op.execute("DROP TABLE venue_free_time")
