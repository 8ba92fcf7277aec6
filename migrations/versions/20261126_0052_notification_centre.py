"""The notification centre: in-app notices, the venue activity and daily agenda preferences,
and one row per agenda sent

Revision ID: 0052
Revises: 0051
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing')"
NEW_KINDS = (
    "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing',"
    " 'venue_activity', 'daily_agenda')"
)


def upgrade():
    op.drop_constraint("kind_known", "notification_preferences", type_="check")
    op.create_check_constraint("kind_known", "notification_preferences", NEW_KINDS)
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(500), nullable=False),
        sa.Column("key", sa.String(120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("link LIKE '/%' AND link NOT LIKE '//%'", name=op.f("ck_notices_link_local")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_notices_user_id")),
    )
    op.create_index("ix_notices_user_id_read_at", "notices", ["user_id", "read_at"])
    op.create_index("ix_notices_user_id_id", "notices", ["user_id", "id"])
    op.create_table(
        "agenda_sends",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_agenda_sends_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "day", name=op.f("pk_agenda_sends")),
    )


def downgrade():
    op.drop_table("agenda_sends")
    op.drop_index("ix_notices_user_id_id", table_name="notices")
    op.drop_index("ix_notices_user_id_read_at", table_name="notices")
    op.drop_table("notices")
    op.execute("DELETE FROM notification_preferences WHERE kind IN ('venue_activity', 'daily_agenda')")
    op.drop_constraint("kind_known", "notification_preferences", type_="check")
    op.create_check_constraint("kind_known", "notification_preferences", OLD_KINDS)
