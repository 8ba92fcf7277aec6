"""Google and Apple sign-in: provider links per user; accounts made through a provider have no password

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("users", "password_hash", existing_type=sa.Text(), nullable=True)
    op.create_table(
        "user_provider_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", postgresql.CITEXT(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("provider IN ('google', 'apple')", name=op.f("ck_user_provider_links_provider_known")),
        sa.CheckConstraint("length(subject) BETWEEN 1 AND 255", name=op.f("ck_user_provider_links_subject_length")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_provider_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_provider_links")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_user_provider_links_provider")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_user_provider_links_user_id")),
    )
    op.create_index(op.f("ix_user_provider_links_user_id"), "user_provider_links", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_user_provider_links_user_id"), table_name="user_provider_links")
    op.drop_table("user_provider_links")
    # Accounts made through a provider have no password; they keep an unusable one.
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    op.alter_column("users", "password_hash", existing_type=sa.Text(), nullable=False)
