"""Couples and groups: several guests booked side by side, each with their own treatments.

- ``service_resources.shared``: a room or equipment the guests of one sitting share (a couples
  massage's double room is taken once for both guests); otherwise each guest's booking takes its own.
- ``booking_resources.shares_booking_id``: the booking whose units a guest's booking shares; the
  unit exclusion constraint now lets the rows of one sitting meet (their key is the same), as it
  lets a booking and its move's hold meet.
- ``cart_items.guests`` / ``guest_names`` and ``bookings.guest`` / ``guest_name``: which guests
  (numbered from 1 in the visit) a cart item's places are for, and each booking's guest.

New columns have defaults or are NULL; the constraint is rebuilt with a key every existing row
keeps (its shares_booking_id is NULL). The gist index is rebuilt under the table's lock, as in 0072.

Revision ID: 0076
Revises: 0075
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0076"
down_revision = "0075"
branch_labels = None
depends_on = None

UNIT_OVERLAP = (
    "ALTER TABLE booking_resources ADD CONSTRAINT ex_booking_resources_unit_overlap "
    "EXCLUDE USING gist (resource_id WITH =, unit WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&, "
    "({key}) WITH <>) WHERE (live)"
)


def upgrade():
    op.add_column(
        "service_resources", sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.text("false"))
    )
    op.add_column("booking_resources", sa.Column("shares_booking_id", sa.Integer(), nullable=True))
    op.execute("ALTER TABLE booking_resources DROP CONSTRAINT ex_booking_resources_unit_overlap")
    op.execute(UNIT_OVERLAP.format(key="COALESCE(shares_booking_id, moves_booking_id, booking_id)"))
    op.add_column(
        "cart_items", sa.Column("guests", postgresql.ARRAY(sa.Integer()), nullable=False, server_default="{}")
    )
    op.add_column(
        "cart_items", sa.Column("guest_names", postgresql.ARRAY(sa.String()), nullable=False, server_default="{}")
    )
    op.add_column("bookings", sa.Column("guest", sa.SmallInteger(), nullable=True))
    op.add_column("bookings", sa.Column("guest_name", sa.String(length=80), nullable=True))


def downgrade():
    op.drop_column("bookings", "guest_name")
    op.drop_column("bookings", "guest")
    op.drop_column("cart_items", "guest_names")
    op.drop_column("cart_items", "guests")
    op.execute("ALTER TABLE booking_resources DROP CONSTRAINT ex_booking_resources_unit_overlap")
    op.execute(UNIT_OVERLAP.format(key="COALESCE(moves_booking_id, booking_id)"))
    op.drop_column("booking_resources", "shares_booking_id")
    op.drop_column("service_resources", "shared")
