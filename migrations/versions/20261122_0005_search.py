"""Search: the denormalised venue_search table the PostgreSQL backend reads, its suggestion
terms, and an accent-folding text search configuration

venue_search holds one row per approved venue. The search vector is computed in the INSERT
(see search/postgres.py), not as a generated column: unaccent is not IMMUTABLE. The tables
are owned by the search backend and kept out of SQLAlchemy's metadata (migrations/env.py
skips them), like procrastinate's.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # "simple" (no stemming, lower case) with accents folded first: "Café Zoë" is found by
    # "cafe zoe", and ts_headline marks the original, accented words.
    op.execute("CREATE TEXT SEARCH CONFIGURATION cozywish_search (COPY = pg_catalog.simple)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION cozywish_search "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple"
    )
    op.execute(
        """
        CREATE TABLE venue_search (
            venue_id integer NOT NULL,
            slug text NOT NULL,
            name text NOT NULL,
            description text NOT NULL DEFAULT '',
            category text,
            category_name text,
            tags text[] NOT NULL DEFAULT '{}',
            service_names text NOT NULL DEFAULT '',
            city text NOT NULL DEFAULT '',
            lat double precision,
            lng double precision,
            price_from integer,
            currency varchar(3) NOT NULL DEFAULT 'GBP',
            rating real,
            review_count integer NOT NULL DEFAULT 0,
            cover_thumb text,
            timezone text NOT NULL DEFAULT 'Europe/London',
            week_hours int4multirange NOT NULL DEFAULT '{}',
            closed_days datemultirange NOT NULL DEFAULT '{}',
            document jsonb NOT NULL,
            search_vector tsvector NOT NULL,
            search_text text NOT NULL DEFAULT '',
            earth cube,
            indexed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_venue_search PRIMARY KEY (venue_id),
            CONSTRAINT fk_venue_search_venue_id_venues FOREIGN KEY (venue_id)
                REFERENCES venues (id) ON DELETE CASCADE
        )
        """
    )
    op.execute(
        "COMMENT ON COLUMN venue_search.week_hours IS "
        "'opening ranges in local minutes since Monday 00:00 (weekday * 1440 + minute)'"
    )
    op.execute("COMMENT ON COLUMN venue_search.closed_days IS 'closures, local dates, upper bound exclusive'")
    op.execute("CREATE INDEX ix_venue_search_search_vector ON venue_search USING gin (search_vector)")
    op.execute("CREATE INDEX ix_venue_search_search_text_trgm ON venue_search USING gin (search_text gin_trgm_ops)")
    op.execute("CREATE INDEX ix_venue_search_earth ON venue_search USING gist (earth)")
    op.execute("CREATE INDEX ix_venue_search_category ON venue_search (category)")
    op.execute("CREATE INDEX ix_venue_search_price_from ON venue_search (price_from)")
    op.execute("CREATE INDEX ix_venue_search_rating ON venue_search (rating)")
    op.execute("CREATE INDEX ix_venue_search_tags ON venue_search USING gin (tags)")

    # Autocomplete: one row per (venue, term) for names, categories and services.
    op.execute(
        """
        CREATE TABLE venue_search_terms (
            venue_id integer NOT NULL,
            kind varchar(10) NOT NULL,
            term text NOT NULL,
            term_key text NOT NULL,
            CONSTRAINT pk_venue_search_terms PRIMARY KEY (venue_id, kind, term_key),
            CONSTRAINT fk_venue_search_terms_venue_id_venue_search FOREIGN KEY (venue_id)
                REFERENCES venue_search (venue_id) ON DELETE CASCADE,
            CONSTRAINT ck_venue_search_terms_kind_known CHECK (kind IN ('venue', 'category', 'service'))
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_venue_search_terms_term_key_trgm ON venue_search_terms USING gin (term_key gin_trgm_ops)"
    )


def downgrade():
    op.execute("DROP TABLE IF EXISTS venue_search_terms")
    op.execute("DROP TABLE IF EXISTS venue_search")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS cozywish_search")
