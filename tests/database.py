"""Which PostgreSQL the tests use, and a fresh database on it per test process."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from config import sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    """TEST_DATABASE_URL or DATABASE_URL when set (CI: the machine's server); else the embedded one."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return sqlalchemy_url(url)
    from app.platform.embedded_db import start_embedded_server

    server = start_embedded_server(ROOT / "instance" / "pgdata-test")
    return "postgresql+psycopg://" + server.get_uri("postgres")[len("postgresql://") :]


def libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def create_fresh_database(base_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``base_url``; return its URL."""
    url = make_url(base_url)
    admin = url.set(database="postgres")
    with psycopg.connect(libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    admin = make_url(base_url).set(database="postgres")
    with psycopg.connect(libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
