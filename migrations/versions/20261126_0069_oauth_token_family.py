"""OAuth: a refresh token's family. ``oauth_tokens`` gains ``family``: every token issued from
one authorization code and its rotations carries the same value, so a rotated refresh token
presented again revokes the whole chain (OAuth 2.0 Security BCP, refresh token reuse). Nullable:
tokens issued before it are each a family of their own; adding it rewrites nothing.

Revision ID: 0069
Revises: 0068
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("oauth_tokens", sa.Column("family", sa.String(length=32), nullable=True))
    with op.get_context().autocommit_block():  # CONCURRENTLY: writes to the table go on meanwhile
        op.create_index("ix_oauth_tokens_family", "oauth_tokens", ["family"], postgresql_concurrently=True)


def downgrade():
    op.drop_index("ix_oauth_tokens_family", table_name="oauth_tokens")
    op.drop_column("oauth_tokens", "family")
