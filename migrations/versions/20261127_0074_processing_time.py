"""Processing time: a service may be work, then a gap, then work (a colour: 30 min applying, 30
processing, 15 finishing). ``services.processing_after_minutes`` is when the gap starts (minutes
from the start) and ``processing_minutes`` how long it lasts; both NULL: no gap. A booking keeps
its gap as instants (``gap_starts_at``, ``gap_ends_at``), so a later change to the service moves
nothing already booked.

The team-member exclusion constraint now compares working parts: a booking's time, buffer
included, less its gap, as a multirange. Two bookings of one member may not share a working
minute; another client's booking may sit in a gap. Rooms keep the whole time (the client stays
in the chair), so ``booking_resources`` is unchanged. Existing rows have no gap: their multirange
is their old range, so nothing existing is refused.

Revision ID: 0074
Revises: 0073
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0074"
down_revision = "0073"
branch_labels = None
depends_on = None

WHERE = "WHERE (team_member_id IS NOT NULL AND status IN ('held', 'confirmed'))"
OLD_EXCLUSION = (
    "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_team_member_overlap "
    "EXCLUDE USING gist (team_member_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&, "
    "(COALESCE(moves_booking_id, id)) WITH <>) " + WHERE
)
# The working parts: [start, gap start) and [gap end, blocks_until); without a gap the second is
# empty and the first is the whole time.
NEW_EXCLUSION = (
    "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_team_member_overlap "
    "EXCLUDE USING gist (team_member_id WITH =, "
    "tstzmultirange(tstzrange(starts_at, COALESCE(gap_starts_at, blocks_until), '[)'), "
    "tstzrange(COALESCE(gap_ends_at, blocks_until), blocks_until, '[)')) WITH &&, "
    "(COALESCE(moves_booking_id, id)) WITH <>) " + WHERE
)


def upgrade():
    op.add_column("services", sa.Column("processing_after_minutes", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("processing_minutes", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_services_processing_range"),
        "services",
        "(processing_after_minutes IS NULL) = (processing_minutes IS NULL) AND (processing_minutes IS NULL OR "
        "(processing_after_minutes BETWEEN 5 AND 600 AND processing_minutes BETWEEN 5 AND 480 "
        "AND processing_after_minutes + processing_minutes < duration_minutes))",
        postgresql_not_valid=True,
    )
    op.execute("ALTER TABLE services VALIDATE CONSTRAINT ck_services_processing_range")
    op.add_column("bookings", sa.Column("gap_starts_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bookings", sa.Column("gap_ends_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_bookings_gap_inside"),
        "bookings",
        "(gap_starts_at IS NULL) = (gap_ends_at IS NULL) AND (gap_starts_at IS NULL OR "
        "(starts_at < gap_starts_at AND gap_starts_at < gap_ends_at AND gap_ends_at < ends_at))",
        postgresql_not_valid=True,
    )
    op.execute("ALTER TABLE bookings VALIDATE CONSTRAINT ck_bookings_gap_inside")
    # An exclusion constraint cannot be added NOT VALID: its gist index is built under the
    # table's lock, as migration 0034 did. Seconds at today's size; see docs/processing-time.md.
    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_team_member_overlap")
    op.execute(NEW_EXCLUSION)


def downgrade():
    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_team_member_overlap")
    op.execute(OLD_EXCLUSION)
    op.drop_constraint(op.f("ck_bookings_gap_inside"), "bookings", type_="check")
    op.drop_column("bookings", "gap_ends_at")
    op.drop_column("bookings", "gap_starts_at")
    op.drop_constraint(op.f("ck_services_processing_range"), "services", type_="check")
    op.drop_column("services", "processing_minutes")
    op.drop_column("services", "processing_after_minutes")
