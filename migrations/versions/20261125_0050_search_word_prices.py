"""Search: the words of each venue with its price band, as an indexed array, to find the
cheapest venues with a word through one index

"Cheap massage" (lowest price first) over more matches than a search counts reads its page
among the matches at or below an edge price that the sample shows a page's worth of venues
under (search.postgres, PostgresBackend._broad). Across categories that edge is not selective:
a massage's edge price is above most manicures', so the price index gave 62,500 venues at 100k
(4.3 ms of the page's 7.5) to AND with the words' 10,143.

``venue_search_word_prices(search_vector, price_from)`` lists each lexeme of the venue's text
vector with its price band, as ``lexeme$band``: a pound a band below 100 pounds (``price_from /
100``), then ten pounds a band (``100 + (price_from - 10000) / 1000``), the last one (140)
holding every price from 500 pounds up; a venue without a price has no keys. The keys of the
groups' words in the bands up to the edge's give, through a GIN index, the venues
holding one of those words at or up to a band above the edge; the words' tsquery and the price
stay the exact tests (search.postgres.word_price_keys). Bands of ten pounds throughout were
tried first: a barber's edge (8.50) then read every "mens" venue under 10 pounds, 18,297 rows
(23 ms), where the price index is selective.

COST 10000 and PARALLEL UNSAFE as migration 0049's function: it is there to be looked up in its
index, never to be worked out row by row, and a worker would read past a page.

Revision ID: 0050
Revises: 0049
Create Date: 2026-11-25
"""

from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None

# search.postgres.PRICE_BAND_PENCE, LAST_PRICE_BAND and word_price_keys spell the same keys.
WORD_PRICES_FUNCTION = """
CREATE FUNCTION venue_search_word_prices(v tsvector, price integer) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL UNSAFE COST 10000 AS $$
    SELECT coalesce(array_agg(l || '$' || CASE WHEN price < 10000 THEN greatest(price, 0) / 100
                                              ELSE least(100 + (price - 10000) / 1000, 140) END), '{}')
    FROM unnest(tsvector_to_array(v)) AS l
    WHERE price IS NOT NULL
$$"""


def upgrade() -> None:
    op.execute(WORD_PRICES_FUNCTION)
    op.execute(
        "COMMENT ON FUNCTION venue_search_word_prices(tsvector, integer) IS"
        " 'Each lexeme of the text vector with the venue''s price band (a pound a band to 100, then ten"
        " pounds a band, at most 140): lexeme$band.'"
    )
    # search.postgres.WORD_PRICES_SQL spells the same expression.
    op.execute(
        "CREATE INDEX ix_venue_search_word_prices ON venue_search"
        " USING gin (venue_search_word_prices(search_vector, price_from))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_venue_search_word_prices")
    op.execute("DROP FUNCTION venue_search_word_prices(tsvector, integer)")
