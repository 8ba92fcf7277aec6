"""Top-ups: a customer's move to a dearer time, held while the difference is paid

- ``bookings.moves_booking_id``: a held booking that stands for a pending move of another
  booking (the new time, held like any checkout hold while the top-up is paid). The team
  member exclusion constraint lets a booking and its own move's hold overlap (a move half an
  hour later with the same person), and nothing else: rows conflict only when their
  ``COALESCE(moves_booking_id, id)`` differ.
- ``top_ups``: one row per top-up attempt (the booking, its hold, the payment, the amount,
  and where it ended: pending, moved, released or refunded); at most one pending per booking.
- ``venue_transfers``: unique per payment and venue (was per order and venue), so a top-up's
  venue share is transferred beside the checkout's.

Revision ID: 0034
Revises: 0032
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0032"
branch_labels = None
depends_on = None

OLD_EXCLUSION = (
    "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_team_member_overlap "
    "EXCLUDE USING gist (team_member_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&) "
    "WHERE (team_member_id IS NOT NULL AND status IN ('held', 'confirmed'))"
)
NEW_EXCLUSION = (
    "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_team_member_overlap "
    "EXCLUDE USING gist (team_member_id WITH =, tstzrange(starts_at, blocks_until, '[)') WITH &&, "
    "(COALESCE(moves_booking_id, id)) WITH <>) "
    "WHERE (team_member_id IS NOT NULL AND status IN ('held', 'confirmed'))"
)


def upgrade():
    op.add_column("bookings", sa.Column("moves_booking_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_bookings_moves_booking_id_bookings"),
        "bookings",
        "bookings",
        ["moves_booking_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_bookings_moves_booking_id"), "bookings", ["moves_booking_id"])
    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_team_member_overlap")
    op.execute(NEW_EXCLUSION)

    op.create_table(
        "top_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("hold_booking_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("new_unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("from_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_team_member_id", sa.Integer(), nullable=True),
        sa.Column("to_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_team_member_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_top_ups_amount_positive")),
        sa.CheckConstraint(
            "status IN ('pending', 'moved', 'released', 'refunded')", name=op.f("ck_top_ups_status_known")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["hold_booking_id"], ["bookings.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_ups")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_top_ups_payment_id")),
    )
    op.create_index(op.f("ix_top_ups_order_id"), "top_ups", ["order_id"])
    op.create_index(op.f("ix_top_ups_booking_id"), "top_ups", ["booking_id"])
    op.create_index(
        "uq_top_ups_one_pending_per_booking",
        "top_ups",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.drop_constraint("uq_venue_transfers_order_id", "venue_transfers", type_="unique")
    op.create_unique_constraint("uq_venue_transfers_payment_id", "venue_transfers", ["payment_id", "venue_id"])


def downgrade():
    op.drop_constraint("uq_venue_transfers_payment_id", "venue_transfers", type_="unique")
    op.create_unique_constraint("uq_venue_transfers_order_id", "venue_transfers", ["order_id", "venue_id"])
    op.drop_index("uq_top_ups_one_pending_per_booking", table_name="top_ups")
    op.drop_table("top_ups")
    op.execute("DELETE FROM bookings WHERE moves_booking_id IS NOT NULL")
    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_team_member_overlap")
    op.execute(OLD_EXCLUSION)
    op.drop_index(op.f("ix_bookings_moves_booking_id"), table_name="bookings")
    op.drop_constraint(op.f("fk_bookings_moves_booking_id_bookings"), "bookings", type_="foreignkey")
    op.drop_column("bookings", "moves_booking_id")
