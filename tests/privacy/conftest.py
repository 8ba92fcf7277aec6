"""Helpers for the privacy tests: a fresh look at rows, real sign-ins, images, and the
search of every text column and every uploaded file that proves an erasure."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from app.platform.extensions import db
from app.platform.jobs import enqueue, run_pending_jobs
from tests.conftest import Browser, IsolatedClient
from tests.factories import PASSWORD

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")


def image_bytes(size: tuple[int, int] = (120, 90)) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def drain_jobs(limit: int = 20) -> list[str]:
    """Run queued jobs until none is left (a job may queue another, e.g. an email)."""
    done: list[str] = []
    for _ in range(limit):
        ran = run_pending_jobs()
        db.session.commit()
        if not ran:
            return done
        done += ran
    return done


def run_job_now(task, **kwargs) -> list[str]:
    enqueue(task, **kwargs)
    db.session.commit()
    return drain_jobs()


def text_columns() -> list[tuple[str, str]]:
    """(table, column) for every text, varchar, citext, json, jsonb and array column of every table."""
    rows = db.session.execute(
        text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND (c.data_type = ANY(:types) OR c.udt_name = 'citext')"
            " ORDER BY 1, 2"
        ),
        {"types": list(TEXT_TYPES)},
    )
    return [(row[0], row[1]) for row in rows]


def find_in_database(needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a value contains a needle, case-insensitively."""
    found = []
    for table, column in text_columns():
        for needle in needles:
            hits = db.session.scalar(
                text(f'SELECT count(*) FROM "{table}" WHERE strpos(lower("{column}"::text), lower(:needle)) > 0'),
                {"needle": needle},
            )
            if hits:
                found.append((table, column, needle))
    return found


def find_in_files(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    """Every (file, needle) under ``root`` whose path or content contains a needle."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes().lower()
        for needle in needles:
            if needle.lower() in str(path.relative_to(root)).lower() or needle.lower().encode() in content:
                found.append((str(path), needle))
    return found


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def sign_in_with_form(browser: Browser, email: str, password: str = PASSWORD, **headers):
    return browser.post("/account/sign-in", {"email": email, "password": password}, headers=headers)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
def new_browser(app):
    return lambda: Browser(IsolatedClient(app, app.response_class, use_cookies=True))


@pytest.fixture
def uploads(app) -> Path:
    return Path(app.config["UPLOAD_ROOT"])
