"""Search: the index's vocabulary (for typo correction) and its distinct suggestion terms

Typos used to be matched venue by venue: a trigram test and a ``word_similarity`` score on
every candidate row, which grew with the corpus (bench/search/notes.md). Now a misspelt word
is corrected against the vocabulary of the index, a table of a few thousand words with a
trigram index, and the search itself uses only the full-text index. Autocomplete reads one
row per distinct term instead of one per venue and term.

Both tables are kept by statement-level triggers on the tables they summarise, so every
writer (the backend, a cascade from a deleted venue, a manual fix) keeps them right. Each
counts the venues using the word or term; a row whose count falls to 0 is deleted, so a
correction or a suggestion never leads to an empty page.

``venue_search_state`` holds one row whose token changes with every statement that writes
``venue_search`` (a statement trigger; rolled back with it): cached facet counts are keyed by
it, so they are never older than the rows a reader sees.

The rating and price indexes now hold the whole sort key of their orders (rating order: rating,
review count, name, id; price order: price, name, id), so a page in those orders is read
from the index and stops after 20 rows even when the planner can't estimate the other
filters ("open now": 100 ms → 0.1 ms at 100k venues).

The per-venue trigram column ``search_text`` and its index are dropped: nothing reads them.
The JSON ``document`` column goes: a hit is built from the row's own columns, which the search
has just read, so showing a page reads no other table (at 100k venues the rows are 40% smaller,
and a page costs no random reads elsewhere). ``service_names`` becomes a text array, and
``updated_at`` (the venue's) is kept for the hit. Existing rows shrink when they are next
written (``flask search reindex``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Statement-level triggers see the changed rows as transition tables: one upsert per
# statement, in word order (concurrent writers lock the rows they share in the same order).
APPLY_WORDS_FUNCTION = """
CREATE FUNCTION venue_search_apply_word_delta(added text[], removed text[]) RETURNS void
LANGUAGE sql AS $$
    WITH delta AS (
        SELECT word, sum(n)::integer AS n
        FROM (
            SELECT word, 1 AS n FROM unnest(added) AS word
            UNION ALL
            SELECT word, -1 FROM unnest(removed) AS word
        ) AS changes
        GROUP BY word
        HAVING sum(n) <> 0
    )
    INSERT INTO venue_search_words AS v (word, venues)
    SELECT word, n FROM delta ORDER BY word
    ON CONFLICT (word) DO UPDATE SET venues = v.venues + EXCLUDED.venues;

    DELETE FROM venue_search_words
    WHERE venues <= 0 AND word IN (SELECT unnest(removed));
$$
"""

WORDS_FUNCTION = """
CREATE FUNCTION venue_search_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM venue_search_apply_word_delta(
            ARRAY(SELECT w FROM new_rows, unnest(tsvector_to_array(new_rows.search_vector)) AS w),
            '{}');
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose vector changed (a rating update leaves the vocabulary alone).
        PERFORM venue_search_apply_word_delta(
            ARRAY(SELECT w FROM new_rows AS n JOIN old_rows AS o USING (venue_id),
                         unnest(tsvector_to_array(n.search_vector)) AS w
                  WHERE n.search_vector IS DISTINCT FROM o.search_vector),
            ARRAY(SELECT w FROM new_rows AS n JOIN old_rows AS o USING (venue_id),
                         unnest(tsvector_to_array(o.search_vector)) AS w
                  WHERE n.search_vector IS DISTINCT FROM o.search_vector));
    ELSE
        PERFORM venue_search_apply_word_delta(
            '{}',
            ARRAY(SELECT w FROM old_rows, unnest(tsvector_to_array(old_rows.search_vector)) AS w));
    END IF;
    RETURN NULL;
END $$
"""

TERMS_FUNCTION = """
CREATE FUNCTION venue_search_suggestions_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO venue_search_suggestions AS s (term_key, term, venues)
        SELECT term_key, min(term), count(DISTINCT venue_id) FROM new_rows GROUP BY term_key ORDER BY term_key
        ON CONFLICT (term_key) DO UPDATE SET venues = s.venues + EXCLUDED.venues;
    ELSE
        UPDATE venue_search_suggestions AS s SET venues = s.venues - d.n
        FROM (
            SELECT term_key, count(DISTINCT venue_id) AS n FROM old_rows GROUP BY term_key ORDER BY term_key
        ) AS d
        WHERE s.term_key = d.term_key;
        DELETE FROM venue_search_suggestions
        WHERE venues <= 0 AND term_key IN (SELECT term_key FROM old_rows);
    END IF;
    RETURN NULL;
END $$
"""


# lower(unaccent(x)) as an IMMUTABLE function, so a query's folded input is computed once at
# planning instead of on every row (unaccent itself is only STABLE: its dictionary could change).
FOLD_FUNCTION = """
CREATE FUNCTION search_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


STATE_FUNCTION = """
CREATE FUNCTION venue_search_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE venue_search_state SET version = version + 1, token = gen_random_uuid() WHERE id = 1;
    RETURN NULL;
END $$
"""


def upgrade():
    op.execute(FOLD_FUNCTION)
    op.execute(
        """
        CREATE TABLE venue_search_state (
            id smallint NOT NULL,
            version bigint NOT NULL,
            token uuid NOT NULL,
            CONSTRAINT pk_venue_search_state PRIMARY KEY (id),
            CONSTRAINT ck_venue_search_state_one_row CHECK (id = 1)
        )
        """
    )
    op.execute("INSERT INTO venue_search_state (id, version, token) VALUES (1, 0, gen_random_uuid())")
    op.execute(STATE_FUNCTION)
    op.execute(
        "CREATE TRIGGER venue_search_state_on_change AFTER INSERT OR UPDATE OR DELETE ON venue_search"
        " FOR EACH STATEMENT EXECUTE FUNCTION venue_search_state_bump()"
    )
    op.execute("DROP INDEX IF EXISTS ix_venue_search_search_text_trgm")
    op.execute("ALTER TABLE venue_search DROP COLUMN IF EXISTS search_text")
    op.execute(
        "ALTER TABLE venue_search ALTER COLUMN service_names DROP DEFAULT,"
        " ALTER COLUMN service_names TYPE text[] USING string_to_array(service_names, ', '),"
        " ALTER COLUMN service_names SET DEFAULT '{}'"
    )
    op.execute("ALTER TABLE venue_search ADD COLUMN updated_at timestamptz")
    op.execute("UPDATE venue_search vs SET updated_at = v.updated_at FROM venues v WHERE v.id = vs.venue_id")
    op.execute("ALTER TABLE venue_search DROP COLUMN document")
    op.execute(
        """
        CREATE TABLE venue_search_words (
            word text NOT NULL,
            venues integer NOT NULL,
            CONSTRAINT pk_venue_search_words PRIMARY KEY (word)
        )
        """
    )
    op.execute("CREATE INDEX ix_venue_search_words_word_trgm ON venue_search_words USING gin (word gin_trgm_ops)")
    op.execute(
        """
        CREATE TABLE venue_search_suggestions (
            term_key text NOT NULL,
            term text NOT NULL,
            venues integer NOT NULL,
            CONSTRAINT pk_venue_search_suggestions PRIMARY KEY (term_key)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_venue_search_suggestions_term_key_trgm"
        " ON venue_search_suggestions USING gin (term_key gin_trgm_ops)"
    )

    # Backfill from what is indexed now.
    op.execute(
        """
        INSERT INTO venue_search_words (word, venues)
        SELECT w, count(*) FROM venue_search, unnest(tsvector_to_array(search_vector)) AS w GROUP BY w
        """
    )
    op.execute(
        """
        INSERT INTO venue_search_suggestions (term_key, term, venues)
        SELECT term_key, min(term), count(DISTINCT venue_id) FROM venue_search_terms GROUP BY term_key
        """
    )

    op.execute(APPLY_WORDS_FUNCTION)
    op.execute(WORDS_FUNCTION)
    op.execute(TERMS_FUNCTION)
    op.execute(
        "CREATE TRIGGER venue_search_words_on_insert AFTER INSERT ON venue_search"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION venue_search_words_sync()"
    )
    op.execute(
        "CREATE TRIGGER venue_search_words_on_update AFTER UPDATE ON venue_search"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION venue_search_words_sync()"
    )
    op.execute(
        "CREATE TRIGGER venue_search_words_on_delete AFTER DELETE ON venue_search"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION venue_search_words_sync()"
    )
    op.execute(
        "CREATE TRIGGER venue_search_suggestions_on_insert AFTER INSERT ON venue_search_terms"
        " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION venue_search_suggestions_sync()"
    )
    op.execute(
        "CREATE TRIGGER venue_search_suggestions_on_delete AFTER DELETE ON venue_search_terms"
        " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION venue_search_suggestions_sync()"
    )
    op.execute("DROP INDEX IF EXISTS ix_venue_search_rating")
    op.execute(
        "CREATE INDEX ix_venue_search_rating ON venue_search (rating DESC NULLS LAST, review_count DESC, name, venue_id)"
    )
    op.execute("DROP INDEX IF EXISTS ix_venue_search_price_from")
    op.execute("CREATE INDEX ix_venue_search_price_from ON venue_search (price_from, name, venue_id)")
    # The suggestion terms' own trigram index is no longer read.
    op.execute("DROP INDEX IF EXISTS ix_venue_search_terms_term_key_trgm")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_venue_search_rating")
    op.execute("CREATE INDEX ix_venue_search_rating ON venue_search (rating)")
    op.execute("DROP INDEX IF EXISTS ix_venue_search_price_from")
    op.execute("CREATE INDEX ix_venue_search_price_from ON venue_search (price_from)")
    op.execute(
        "CREATE INDEX ix_venue_search_terms_term_key_trgm ON venue_search_terms USING gin (term_key gin_trgm_ops)"
    )
    for trigger, table in (
        ("venue_search_state_on_change", "venue_search"),
        ("venue_search_suggestions_on_delete", "venue_search_terms"),
        ("venue_search_suggestions_on_insert", "venue_search_terms"),
        ("venue_search_words_on_delete", "venue_search"),
        ("venue_search_words_on_update", "venue_search"),
        ("venue_search_words_on_insert", "venue_search"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS venue_search_suggestions_sync()")
    op.execute("DROP FUNCTION IF EXISTS venue_search_words_sync()")
    op.execute("DROP FUNCTION IF EXISTS venue_search_apply_word_delta(text[], text[])")
    op.execute("DROP FUNCTION IF EXISTS search_fold(text)")
    op.execute("DROP FUNCTION IF EXISTS venue_search_state_bump()")
    op.execute("DROP TABLE IF EXISTS venue_search_state")
    op.execute("DROP TABLE IF EXISTS venue_search_suggestions")
    op.execute("DROP TABLE IF EXISTS venue_search_words")
    op.execute("ALTER TABLE venue_search ADD COLUMN document jsonb NOT NULL DEFAULT '{}'")
    op.execute(
        """
        UPDATE venue_search SET document = jsonb_build_object(
            'id', venue_id, 'slug', slug, 'name', name, 'description', description, 'category', category,
            'category_name', category_name, 'tags', to_jsonb(tags), 'service_names', to_jsonb(service_names),
            'city', city, 'lat', lat, 'lng', lng, 'price_from', price_from, 'currency', currency, 'rating', rating,
            'review_count', review_count, 'cover_thumb', cover_thumb, 'timezone', timezone, 'updated_at', updated_at)
        """
    )
    op.execute("ALTER TABLE venue_search ALTER COLUMN document DROP DEFAULT, DROP COLUMN updated_at")
    op.execute(
        "ALTER TABLE venue_search ALTER COLUMN service_names DROP DEFAULT,"
        " ALTER COLUMN service_names TYPE text USING array_to_string(service_names, ', '),"
        " ALTER COLUMN service_names SET DEFAULT ''"
    )
    op.execute("ALTER TABLE venue_search ADD COLUMN search_text text NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE venue_search SET search_text ="
        " lower(unaccent(name || ' ' || coalesce(category_name, '') || ' ' || service_names))"
    )
    op.execute("CREATE INDEX ix_venue_search_search_text_trgm ON venue_search USING gin (search_text gin_trgm_ops)")
