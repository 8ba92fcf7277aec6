"""Booking messages (one thread per booking, with reports), intake questions and answers, patch tests

Revision ID: 0056
Revises: 0051
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "booking_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("sender_user_id", sa.Integer(), nullable=False),
        sa.Column("sender_side", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_by_other_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_reason", sa.Text(), nullable=True),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("moderation", sa.String(length=10), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sender_side IN ('customer', 'venue')", name=op.f("ck_booking_messages_sender_side_known")),
        sa.CheckConstraint("char_length(body) BETWEEN 1 AND 2000", name=op.f("ck_booking_messages_body_length")),
        sa.CheckConstraint(
            "moderation IS NULL OR moderation IN ('hidden', 'dismissed')",
            name=op.f("ck_booking_messages_moderation_known"),
        ),
        sa.CheckConstraint(
            "(reported_at IS NULL) = (report_reason IS NULL)", name=op.f("ck_booking_messages_report_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_messages_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_user_id"], ["users.id"], name=op.f("fk_booking_messages_sender_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"],
            ["users.id"],
            name=op.f("fk_booking_messages_reported_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_messages")),
    )
    op.create_index("ix_booking_messages_booking_id_created_at", "booking_messages", ["booking_id", "created_at"])
    op.create_index(
        "ix_booking_messages_sender_user_id_created_at", "booking_messages", ["sender_user_id", "created_at"]
    )
    op.create_index(
        "ix_booking_messages_open_reports",
        "booking_messages",
        ["reported_at"],
        postgresql_where=sa.text("reported_at IS NOT NULL"),
    )

    op.create_table(
        "service_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("required", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint("kind IN ('text', 'yes_no', 'choice')", name=op.f("ck_service_questions_kind_known")),
        sa.CheckConstraint("char_length(text) BETWEEN 1 AND 200", name=op.f("ck_service_questions_text_length")),
        sa.CheckConstraint("position BETWEEN 1 AND 100", name=op.f("ck_service_questions_position_range")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_questions_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_questions")),
    )
    op.create_index(op.f("ix_service_questions_service_id"), "service_questions", ["service_id"])
    op.create_table(
        "booking_intake_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_booking_intake_answers_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_intake_answers")),
    )
    op.create_index(op.f("ix_booking_intake_answers_booking_id"), "booking_intake_answers", ["booking_id"])
    op.add_column("cart_items", sa.Column("intake_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("services", sa.Column("patch_test_service_id", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("patch_test_min_hours", sa.Integer(), server_default="48", nullable=False))
    op.create_foreign_key(
        op.f("fk_services_patch_test_service_id_services"),
        "services",
        "services",
        ["patch_test_service_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_services_patch_test_hours_range"), "services", "patch_test_min_hours BETWEEN 1 AND 2160"
    )
    op.create_check_constraint(
        op.f("ck_services_patch_test_not_itself"),
        "services",
        "patch_test_service_id IS NULL OR patch_test_service_id <> id",
    )


def downgrade():
    op.drop_constraint(op.f("ck_services_patch_test_not_itself"), "services", type_="check")
    op.drop_constraint(op.f("ck_services_patch_test_hours_range"), "services", type_="check")
    op.drop_constraint(op.f("fk_services_patch_test_service_id_services"), "services", type_="foreignkey")
    op.drop_column("services", "patch_test_min_hours")
    op.drop_column("services", "patch_test_service_id")
    op.drop_column("cart_items", "intake_answers")
    op.drop_index(op.f("ix_booking_intake_answers_booking_id"), table_name="booking_intake_answers")
    op.drop_table("booking_intake_answers")
    op.drop_index(op.f("ix_service_questions_service_id"), table_name="service_questions")
    op.drop_table("service_questions")
    op.drop_index("ix_booking_messages_open_reports", table_name="booking_messages")
    op.drop_index("ix_booking_messages_sender_user_id_created_at", table_name="booking_messages")
    op.drop_index("ix_booking_messages_booking_id_created_at", table_name="booking_messages")
    op.drop_table("booking_messages")
