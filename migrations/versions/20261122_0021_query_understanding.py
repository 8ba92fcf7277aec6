"""Search: synonyms admins keep, and ratings as exact decimals

``search_synonyms`` holds pairs of words or phrases that mean the same ("couples" ~ "for
two"), folded and in order (term < synonym) so a pair is stored once; both backends expand a
query's words with them (search/understanding.py). Seeded with the pairs below.

Ratings were ``real`` (venue_search) and ``double precision`` (venues): 4.7 stored as a real
is 4.69999980926514, so "4.7 and up" left it out. Both are ``numeric(3, 2)`` now, the average
of the published reviews rounded to two places, compared exactly.

Revision ID: 0021
Revises: 0023
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0023"
branch_labels = None
depends_on = None

SEEDED_SYNONYMS = (
    ("couples", "for two"),
    ("nails", "manicure"),
    ("colour", "color"),
    ("spa day", "day spa"),
    ("eyebrows", "brows"),
    ("brows", "brow"),
    ("lashes", "lash"),
    ("blowdry", "blow dry"),
    ("haircut", "hair cut"),
    ("hairdresser", "hair"),
    ("barbershop", "barber"),
    ("massages", "massage"),
    ("facials", "facial"),
    ("saunas", "sauna"),
    ("waxing", "hair removal"),
    ("hammam", "turkish bath"),
    ("reflexology", "foot massage"),
    ("gym", "fitness"),
    ("tanning", "tan"),
    ("nail bar", "nail salon"),
)


def upgrade():
    table = op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=60), nullable=False),
        sa.Column("synonym", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("term < synonym", name=op.f("ck_search_synonyms_ordered_pair")),
        sa.CheckConstraint("char_length(term) BETWEEN 1 AND 60", name=op.f("ck_search_synonyms_term_length")),
        sa.CheckConstraint("char_length(synonym) BETWEEN 1 AND 60", name=op.f("ck_search_synonyms_synonym_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
        sa.UniqueConstraint("term", "synonym", name=op.f("uq_search_synonyms_term_synonym")),
    )
    op.bulk_insert(table, [dict(zip(("term", "synonym"), sorted(pair), strict=True)) for pair in SEEDED_SYNONYMS])

    op.execute("ALTER TABLE venues ALTER COLUMN rating TYPE numeric(3, 2) USING round(rating::numeric, 2)")
    op.execute("ALTER TABLE venue_search ALTER COLUMN rating TYPE numeric(3, 2) USING round(rating::numeric, 2)")


def downgrade():
    op.execute("ALTER TABLE venue_search ALTER COLUMN rating TYPE real")
    op.execute("ALTER TABLE venues ALTER COLUMN rating TYPE double precision")
    op.drop_table("search_synonyms")
