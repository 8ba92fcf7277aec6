"""Cache versions every process can read: one row per namespace

A cached search result, facet count or public page is keyed on its namespace's version, so one
write invalidates the caches of every process at its commit. ``version`` takes a fresh value of
``cache_versions_seq`` on every bump: a rolled-back bump leaves behind a value that never comes
back, so nothing cached under it can be served again.

Every statement that writes ``venue_search`` bumps "public" by a statement trigger, in the same
transaction (like ``venue_search_state``); ORM writes to venues and what their pages show bump it
from the application (``app/platform/cache_versions.py``).

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BUMP_FUNCTION = """
CREATE FUNCTION cache_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_versions (namespace, version, changed_at)
    VALUES (TG_ARGV[0], nextval('cache_versions_seq'), now())
    ON CONFLICT (namespace) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$
"""


def upgrade():
    op.execute("CREATE SEQUENCE cache_versions_seq")
    op.execute(
        """
        CREATE TABLE cache_versions (
            namespace text NOT NULL,
            version bigint NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_cache_versions PRIMARY KEY (namespace),
            CONSTRAINT ck_cache_versions_namespace_length CHECK (char_length(namespace) BETWEEN 1 AND 40)
        )
        """
    )
    op.execute("INSERT INTO cache_versions (namespace, version) VALUES ('public', nextval('cache_versions_seq'))")
    op.execute(BUMP_FUNCTION)
    op.execute(
        "CREATE TRIGGER cache_versions_on_search_change AFTER INSERT OR UPDATE OR DELETE ON venue_search"
        " FOR EACH STATEMENT EXECUTE FUNCTION cache_versions_bump('public')"
    )


def downgrade():
    op.execute("DROP TRIGGER cache_versions_on_search_change ON venue_search")
    op.execute("DROP FUNCTION cache_versions_bump()")
    op.execute("DROP TABLE cache_versions")
    op.execute("DROP SEQUENCE cache_versions_seq")
