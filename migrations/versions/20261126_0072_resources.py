"""Rooms and equipment: a venue's ``resources`` (a name and how many), what a service needs of
them (``service_resources``), and the units each booking takes (``booking_resources``).

A unit is never in two live bookings that meet: an exclusion constraint, as for team members
(migration 0034: a booking and its own move's hold may meet). A booking's units follow it: a
trigger copies the booking's times and whether it is live (held or confirmed) to its rows, so a
cancelled, expired or moved booking frees or moves its units without the application's help.

Revision ID: 0072
Revises: 0071
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0072"
down_revision = "0071"
branch_labels = None
depends_on = None

FOLLOW_BOOKING = """
CREATE FUNCTION booking_resources_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE booking_resources
       SET live = NEW.status IN ('held', 'confirmed'),
           starts_at = NEW.starts_at,
           blocks_until = NEW.blocks_until
     WHERE booking_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER booking_resources_follow
AFTER UPDATE OF status, starts_at, blocks_until ON bookings
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
      OR OLD.blocks_until IS DISTINCT FROM NEW.blocks_until)
EXECUTE FUNCTION booking_resources_follow();
"""


def upgrade():
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("venue_id", sa.Integer(), sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 60", name="ck_resources_name_length"),
        sa.CheckConstraint("quantity BETWEEN 1 AND 50", name="ck_resources_quantity_range"),
        sa.UniqueConstraint("venue_id", "name", name="uq_resources_name"),
    )
    op.create_index("ix_resources_venue_id", "resources", ["venue_id"])
    op.create_table(
        "service_resources",
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units BETWEEN 1 AND 10", name="ck_service_resources_units_range"),
    )
    op.create_table(
        "booking_resources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocks_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moves_booking_id", sa.Integer(), nullable=True),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.CheckConstraint("unit >= 1", name="ck_booking_resources_unit_positive"),
    )
    op.create_index("ix_booking_resources_booking_id", "booking_resources", ["booking_id"])
    op.create_index("ix_booking_resources_resource_id", "booking_resources", ["resource_id"])
    op.execute(
        "ALTER TABLE booking_resources ADD CONSTRAINT ex_booking_resources_unit_overlap "
        "EXCLUDE USING gist (resource_id WITH =, unit WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&, "
        "(COALESCE(moves_booking_id, booking_id)) WITH <>) WHERE (live)"
    )
    op.execute(FOLLOW_BOOKING)


def downgrade():
    op.execute("DROP TRIGGER booking_resources_follow ON bookings")
    op.execute("DROP FUNCTION booking_resources_follow()")
    op.drop_table("booking_resources")
    op.drop_table("service_resources")
    op.drop_table("resources")
