"""Migrations build the whole schema and come down again; the embedded server starts and stops."""

from __future__ import annotations

import os
import shutil

import psycopg
import pytest
from flask_migrate import downgrade, upgrade

from app import create_app
from app.platform.embedded_db import REQUIRED_EXTENSIONS, embedded_database_url, stop_embedded_server
from tests.database import create_fresh_database, drop_database, server_url


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.mark.slow
@pytest.mark.committing
def test_migrations_upgrade_downgrade_and_upgrade_again(tmp_path):
    base = server_url()
    name = f"cozywish_migrations_{os.getpid()}"
    url = create_fresh_database(base, name)
    try:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(tmp_path)})
        with app.app_context():
            upgrade()
            with psycopg.connect(libpq(url)) as conn:
                extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
                tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
            assert set(REQUIRED_EXTENSIONS) <= extensions
            assert {"users", "sign_in_throttles", "audit_log", "procrastinate_jobs"} <= tables
            downgrade(revision="base")
            with psycopg.connect(libpq(url)) as conn:
                left = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
                functions = conn.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'").fetchone()
            assert left == {"alembic_version"}
            assert functions[0] == 0
            upgrade()
        from app.platform.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        drop_database(base, name)


@pytest.mark.slow
def test_embedded_server_starts_creates_the_database_and_stops():
    # Not under pytest's tmp_path: its 0700 folders are closed to the server's own system user.
    from tests.database import ROOT

    pgdata = ROOT / "instance" / f"pgdata-probe-{os.getpid()}"
    url = embedded_database_url(pgdata, "cozywish_probe", stop_on_exit=False)
    try:
        with psycopg.connect(libpq(url)) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == "cozywish_probe"
        # A second start reuses the running server and the existing database.
        assert embedded_database_url(pgdata, "cozywish_probe", stop_on_exit=False) == url
    finally:
        assert stop_embedded_server(pgdata) is True
    assert not (pgdata / "postmaster.pid").exists()
    shutil.rmtree(pgdata)
