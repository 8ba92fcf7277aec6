"""`flask backup create` and `flask backup restore`: the database and the uploaded files, one archive.

An archive is a gzipped tar holding ``database.dump`` (pg_dump's custom format), every file
under the upload root as ``uploads/<key>``, and ``manifest.json`` with the SHA-256 of each.
A restore checks the whole archive before it changes anything, replaces the database's
``public`` schema in one transaction (a failure leaves the old data in place), and only then
swaps the upload folder for the archived one.

With STORAGE_BACKEND=s3 the uploads are the bucket's objects: a backup downloads every one into
the archive (same ``uploads/<key>`` names, so an archive restores into either backend), and a
restore uploads the archived files and then deletes the objects the archive does not hold.
(A bucket with versioning or the provider's own replication is a second line; this one is the
line that restores the database and its files to one moment.)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.platform import db_routing
from app.platform.embedded_db import binaries_dir
from app.platform.extensions import db
from app.platform.storage import get_storage

backup_cli = AppGroup("backup", help="Back up and restore the database and uploaded files.")

FORMAT = "cozywish-backup/1"
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Connection:
    """libpq settings for the command-line tools; the password travels in the environment."""

    uri: str
    password: str | None

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def get_connection() -> Connection:
    url = make_url(db_routing.direct_url(current_app.config))  # pg_dump's SETs need a session of its own
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return Connection(uri=uri, password=url.password)


def get_upload_root() -> Path | None:
    """The upload folder with local storage; None when the uploads are in a bucket."""
    root = getattr(current_app.extensions["storage"], "root", None)
    return Path(root) if root is not None else None


def _download_bucket(target: Path) -> Path:
    """Every object of the bucket, as files under ``target`` (the backup reads them from there)."""
    storage = get_storage()
    keys = list(storage.keys())
    with click.progressbar(keys, label="Downloading the bucket", show_pos=True) as bar:
        for key in bar:
            path = target / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(storage.open(key))
    return target


def _upload_to_bucket(staged: Path) -> None:
    """Make the bucket hold exactly the archived files."""
    storage = get_storage()
    archived = {path.relative_to(staged).as_posix(): path for path in list_uploads(staged)}
    for key, path in archived.items():
        storage.save(key, path.read_bytes())
    for key in sorted(set(storage.keys()) - set(archived)):
        storage.delete(key)


def _major(binary: Path) -> int | None:
    try:
        # Our own fixed argument lists throughout: no shell, no user input in the command.
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"\) (\d+)", out)
    return int(match.group(1)) if match else None


def find_pg_tool(name: str, server_major: int) -> Path:
    """pg_dump, pg_restore or psql able to talk to a server of ``server_major``.

    The same major on PATH or in Debian's /usr/lib/postgresql first; otherwise the embedded
    wheel's (PostgreSQL 18), which reads and writes older servers too.
    """
    candidates = []
    if not current_app.config.get("USING_EMBEDDED_DB"):
        on_path = shutil.which(name)
        candidates += [Path(on_path)] if on_path else []
        candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"))
    for candidate in candidates:
        if candidate.exists() and _major(candidate) == server_major:
            return candidate
    embedded = binaries_dir() / name
    embedded_major = _major(embedded)
    if embedded_major is None or embedded_major < server_major:
        raise BackupError(f"No {name} for PostgreSQL {server_major} found: install its client tools.")
    return embedded


def get_server_major() -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _run(command: list[str], conn: Connection, what: str) -> None:
    result = subprocess.run(command, env=conn.env(), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        errors = [line for line in lines if "ERROR" in line or "error:" in line] or lines[-5:]
        raise BackupError(f"{what} failed: " + "\n".join(errors)[-1500:])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_uploads(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))


def default_archive_path() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"cozywish-{stamp}.tar.gz"


def create_backup(output: Path) -> dict:
    """Write the archive to ``output`` (through a temporary file, so never half-written)."""
    conn, root = get_connection(), get_upload_root()
    pg_dump = find_pg_tool("pg_dump", get_server_major())
    output.parent.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "files": {}}
    with tempfile.TemporaryDirectory(dir=output.parent) as work:
        if root is None:  # the uploads are a bucket's objects
            root = _download_bucket(Path(work) / "bucket")
        files = list_uploads(root)
        dump = Path(work) / DUMP_NAME
        partial = Path(work) / "archive.tar.gz"
        with (
            click.progressbar(length=1 + len(files), label="Backing up") as bar,
            tarfile.open(partial, "w:gz") as archive,
        ):
            _run(
                [str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", "-f", str(dump), conn.uri],
                conn,
                "pg_dump",
            )
            manifest["files"][DUMP_NAME] = sha256_file(dump)
            archive.add(dump, arcname=DUMP_NAME)
            bar.update(1)
            for path in files:
                name = "uploads/" + path.relative_to(root).as_posix()
                manifest["files"][name] = sha256_file(path)
                archive.add(path, arcname=name)
                bar.update(1)
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        os.replace(partial, output)
    return manifest


def _safe_name(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


@contextmanager
def unpacked(archive_path: Path, staging_parent: Path) -> Iterator[Path]:
    """Unpack and verify the whole archive into a staging folder; raise BackupError if anything is off."""
    if not archive_path.is_file():
        raise BackupError(f"No backup archive at {archive_path}.")
    staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging_parent, prefix=".restore-") as work:
        staging = Path(work)
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                members = archive.getmembers()
                if not all(_safe_name(m.name) and (m.isfile() or m.isdir()) for m in members):
                    raise BackupError(f"{archive_path} holds paths outside the backup; refusing it.")
                archive.extractall(staging, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"{archive_path} is not a readable backup archive ({exc}).") from None
        manifest_path = staging / MANIFEST_NAME
        if not manifest_path.is_file():
            raise BackupError(f"{archive_path} is not a CozyWish backup (no {MANIFEST_NAME}).")
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            raise BackupError(f"{archive_path} has an unreadable {MANIFEST_NAME}.") from None
        if manifest.get("format") != FORMAT or DUMP_NAME not in manifest.get("files", {}):
            raise BackupError(f"{archive_path} is not a {FORMAT} archive.")
        present = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()} - {MANIFEST_NAME}
        if present != set(manifest["files"]):
            raise BackupError(f"{archive_path} is damaged: its files do not match its manifest.")
        for name, checksum in manifest["files"].items():
            if sha256_file(staging / name) != checksum:
                raise BackupError(f"{archive_path} is damaged: {name} does not match its checksum.")
        yield staging


def restore_backup(archive_path: Path) -> int:
    """Replace the database and the uploads with the archive's; return the number of files."""
    conn, root = get_connection(), get_upload_root()
    major = get_server_major()
    pg_restore, psql = find_pg_tool("pg_restore", major), find_pg_tool("psql", major)
    staging_parent = root.parent if root is not None else Path(current_app.instance_path) / "backups"
    with unpacked(archive_path, staging_parent) as staging:
        files = list_uploads(staging / "uploads")
        with click.progressbar(length=2 + len(files), label="Restoring") as bar:
            script = staging / "restore.sql"
            dump = str(staging / DUMP_NAME)
            _run([str(pg_restore), "--no-owner", "--no-privileges", "-f", str(script), dump], conn, "Reading the dump")
            if major < 17:
                drop_newer_settings(script)
            bar.update(1)
            db.session.remove()
            db.engine.dispose()  # our own idle connections must not hold the tables
            # One transaction: the old schema goes only if the whole dump loads.
            _run(
                [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                 "-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public",
                 "-f", str(script), conn.uri],
                conn,
                "Restoring the database",
            )  # fmt: skip
            bar.update(1)
            if root is None:
                _upload_to_bucket(staging / "uploads")
            else:
                _swap_uploads(staging / "uploads", root)
            bar.update(len(files))
    return len(files)


# Settings that PostgreSQL 17+ tools write at the top of a script and older servers reject.
NEWER_SETTINGS = ("SET transaction_timeout = 0;\n",)


def drop_newer_settings(script: Path) -> None:
    """Let PostgreSQL 18's tools (the embedded wheel's) restore into a 15 or 16 server."""
    filtered = script.with_suffix(".filtered.sql")
    with script.open() as source, filtered.open("w") as target:
        target.writelines(line for line in source if line not in NEWER_SETTINGS)
    os.replace(filtered, script)


def _swap_uploads(new: Path, root: Path) -> None:
    """Put the archived uploads in place of the current ones with two renames on one disk."""
    new.mkdir(exist_ok=True)
    old = root.with_name(f".{root.name}-replaced")
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        os.replace(root, old)
    os.replace(new, root)
    shutil.rmtree(old, ignore_errors=True)


@backup_cli.command("create")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: instance/backups/.")
def create_command(output: Path | None) -> None:
    """Write the database and every uploaded file into one archive."""
    output = output or default_archive_path()
    manifest = create_backup(output)
    click.echo(f"Backup written to {output} (database and {len(manifest['files']) - 1} file(s)).")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the configured database and the uploaded files with ARCHIVE's."""
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not yes:
        click.confirm(f"This replaces everything in database {database!r} and every uploaded file. Go on?", abort=True)
    count = restore_backup(archive)
    click.echo(f"Restored database {database!r} and {count} uploaded file(s) from {archive}.")
