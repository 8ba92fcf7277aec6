"""Search: a text index over one venue in eight, to sample the matches of common words

A search with words reads its first 1,001 matches (the sample: the count, or "1,000+", and the
facet links; search.postgres). Through the full-text index that is a bitmap of every match
first: for a word that a fifth of the venues hold, 20,286 index entries at 100k venues (8 ms)
to keep 1,001 of them, and twice that at 200k. When the vocabulary's counts
(``venue_search_words``) already say the words are that common, the sample is read from this
partial index over the venues whose id is a multiple of eight instead: an eighth of the
entries, as many matches kept. The page and the counts of a filtered search still read every
match (docs/search.md, "Broad searches").

Revision ID: 0044
Revises: 0043
Create Date: 2026-11-25
"""

from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # search.postgres.SAMPLE_CONDITION spells the same predicate: the planner uses a partial
    # index only for a query whose conditions contain its own.
    op.execute(
        "CREATE INDEX ix_venue_search_search_vector_sample ON venue_search"
        " USING gin (search_vector) WHERE venue_id % 8 = 0"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_search_vector_sample")
