"""Review replies, reports, photos and review requests

Revision ID: 0058
Revises: 0057
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None

# Customers choose how they hear of review requests and answers to their reviews: a new kind.
OLD_KINDS = (
    "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing',"
    " 'venue_activity', 'daily_agenda')"
)
NEW_KINDS = (
    "kind IN ('booking_confirmations', 'reminders', 'changes', 'waitlist_offers', 'marketing',"
    " 'venue_activity', 'daily_agenda', 'reviews')"
)


def upgrade():
    op.drop_constraint("kind_known", "notification_preferences", type_="check")
    # NOT VALID, then VALIDATE after a commit (docs/operations.md, "Migrations without long locks").
    op.create_check_constraint("kind_known", "notification_preferences", NEW_KINDS, postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE notification_preferences VALIDATE CONSTRAINT ck_notification_preferences_kind_known")
    op.create_table(
        "review_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(body) BETWEEN 1 AND 1000", name=op.f("ck_review_replies_body_length")),
        sa.CheckConstraint("status IN ('published', 'hidden')", name=op.f("ck_review_replies_status_known")),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_replies_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_review_replies_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_review_replies_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_replies")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_replies_review_id")),
    )
    op.create_index(op.f("ix_review_replies_venue_id"), "review_replies", ["venue_id"])

    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reason IN ('fake', 'not_a_visit', 'offensive', 'personal', 'other')",
            name=op.f("ck_review_reports_reason_known"),
        ),
        sa.CheckConstraint("char_length(details) BETWEEN 1 AND 1000", name=op.f("ck_review_reports_details_length")),
        sa.CheckConstraint("status IN ('open', 'kept', 'removed')", name=op.f("ck_review_reports_status_known")),
        sa.CheckConstraint(
            "(status = 'open') = (decided_at IS NULL)", name=op.f("ck_review_reports_decided_when_closed")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_reports_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_review_reports_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_review_reports_reporter_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_review_reports_decided_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reports")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_reports_review_id")),
    )
    op.create_index(op.f("ix_review_reports_venue_id"), "review_reports", ["venue_id"])
    op.create_index(
        "ix_review_reports_open", "review_reports", ["created_at"], postgresql_where=sa.text("status = 'open'")
    )

    op.create_table(
        "review_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=200), nullable=False),
        sa.Column("variants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_photos_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_photos")),
    )
    op.create_index(op.f("ix_review_photos_review_id"), "review_photos", ["review_id"])

    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channels", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_review_requests_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_review_requests_customer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_requests")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_review_requests_booking_id")),
    )
    op.create_index(op.f("ix_review_requests_customer_id"), "review_requests", ["customer_id"])


def downgrade():
    op.execute("DELETE FROM notification_preferences WHERE kind = 'reviews'")
    op.drop_constraint("kind_known", "notification_preferences", type_="check")
    op.create_check_constraint("kind_known", "notification_preferences", OLD_KINDS)
    op.drop_index(op.f("ix_review_requests_customer_id"), table_name="review_requests")
    op.drop_table("review_requests")
    op.drop_index(op.f("ix_review_photos_review_id"), table_name="review_photos")
    op.drop_table("review_photos")
    op.drop_index("ix_review_reports_open", table_name="review_reports")
    op.drop_index(op.f("ix_review_reports_venue_id"), table_name="review_reports")
    op.drop_table("review_reports")
    op.drop_index(op.f("ix_review_replies_venue_id"), table_name="review_replies")
    op.drop_table("review_replies")
