"""PostgreSQL extensions and the procrastinate job queue schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from importlib import resources

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EXTENSIONS = ("btree_gist", "pg_trgm", "cube", "earthdistance", "unaccent", "citext")


def _driver_connection():
    # procrastinate's schema is plain SQL with % signs and colons: run it without bind parsing.
    return op.get_bind().connection.driver_connection


def upgrade():
    for extension in EXTENSIONS:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    schema = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    _driver_connection().execute(schema)


def downgrade():
    conn = _driver_connection()
    conn.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
        "procrastinate_jobs, procrastinate_workers CASCADE"
    )
    functions = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%'"
    ).fetchall()
    for (signature,) in functions:
        conn.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    types = conn.execute(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = 'public' AND t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c')"
    ).fetchall()
    for (name,) in types:
        conn.execute(f"DROP TYPE IF EXISTS {name} CASCADE")
    for extension in reversed(EXTENSIONS):
        op.execute(f"DROP EXTENSION IF EXISTS {extension}")
