"""Two-factor sign-in: an encrypted TOTP secret per user, hashed one-time recovery codes

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "users", sa.Column("two_factor_generation", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.create_check_constraint(
        op.f("ck_users_totp_enabled_has_secret"), "users", "totp_enabled_at IS NULL OR totp_secret IS NOT NULL"
    )
    op.create_table(
        "user_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_user_recovery_codes_user_id")),
    )


def downgrade():
    op.drop_table("user_recovery_codes")
    op.drop_constraint(op.f("ck_users_totp_enabled_has_secret"), "users", type_="check")
    for column in ("two_factor_generation", "totp_last_step", "totp_enabled_at", "totp_secret"):
        op.drop_column("users", column)
