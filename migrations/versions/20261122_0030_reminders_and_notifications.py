"""Reminders and notification preferences: per-user channel choices, SMS numbers, venue
reminder offsets, one row per planned reminder, and the SMS log

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing')",
            name=op.f("ck_notification_preferences_kind_known"),
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_notification_preferences_channel_known")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "channel", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "sms_numbers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("number ~ '^\\+[1-9][0-9]{6,14}$'", name=op.f("ck_sms_numbers_e164")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sms_numbers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sms_numbers")),
    )
    op.create_table(
        "venue_reminder_settings",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("offsets_minutes", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "cardinality(offsets_minutes) BETWEEN 1 AND 3", name=op.f("ck_venue_reminder_settings_offsets_count")
        ),
        sa.CheckConstraint(
            "0 < ALL(offsets_minutes) AND 10080 >= ALL(offsets_minutes)",
            name=op.f("ck_venue_reminder_settings_offsets_range"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_venue_reminder_settings_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", name=op.f("pk_venue_reminder_settings")),
    )
    op.create_table(
        "booking_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'sent', 'skipped', 'dropped')", name=op.f("ck_booking_reminders_status_known")
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_booking_reminders_channel_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_reminders_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_reminders")),
        sa.UniqueConstraint(
            "booking_id", "offset_minutes", "channel", "starts_at", name=op.f("uq_booking_reminders_booking_id")
        ),
    )
    op.create_index(op.f("ix_booking_reminders_booking_id"), "booking_reminders", ["booking_id"])
    op.create_index(op.f("ix_booking_reminders_due_at"), "booking_reminders", ["due_at"])
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("to_number", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("gateway", sa.String(16), nullable=False),
        sa.Column("provider_message_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sms_messages_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sms_messages_idempotency_key")),
    )
    op.create_index(op.f("ix_sms_messages_user_id"), "sms_messages", ["user_id"])
    op.create_index(op.f("ix_sms_messages_created_at"), "sms_messages", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_sms_messages_created_at"), table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_user_id"), table_name="sms_messages")
    op.drop_table("sms_messages")
    op.drop_index(op.f("ix_booking_reminders_due_at"), table_name="booking_reminders")
    op.drop_index(op.f("ix_booking_reminders_booking_id"), table_name="booking_reminders")
    op.drop_table("booking_reminders")
    op.drop_table("venue_reminder_settings")
    op.drop_table("sms_numbers")
    op.drop_table("notification_preferences")
