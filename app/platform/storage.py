"""Where uploaded files live: local disk by default, or an S3-compatible bucket; one interface.

STORAGE_BACKEND=local keeps files under UPLOAD_ROOT and serves them from /media/<key>.
STORAGE_BACKEND=s3 keeps them in S3_BUCKET (AWS S3, MinIO, Ceph, R2...: S3_ENDPOINT_URL) so
every web node sees every file. Pages link to ``media_url(key)``: CDN_BASE_URL + the key when
a CDN is set, else a presigned URL (S3_PUBLIC_URLS=0, the default: the bucket stays private)
or the bucket's public URL. Our keys are random names never reused (app/images.new_key), so
every object is stored with ``Cache-Control: public, max-age=31536000, immutable``.
"""

from __future__ import annotations

import errno
import hashlib
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import boto3
import click
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import event

from app.platform.errors import OutOfSpace
from app.platform.extensions import db

# The disk (or the user's quota) is full: the request cannot succeed until someone frees space.
FULL_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(OutOfSpace):
    pass

    def __init__(self) -> None:
        super().__init__("We are out of storage space, so your file was not saved. Please try again later.")


IMMUTABLE = "public, max-age=31536000, immutable"  # our keys never change what they name


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def check(self) -> str | None: ...
    def url(self, key: str) -> str | None: ...  # None: served by the app's /media/ route
    def keys(self) -> Iterator[str]: ...  # every stored key (copies, backups)
    def size(self, key: str) -> int | None: ...  # None: not there
    def etag(self, key: str) -> str | None: ...  # the MD5 (S3: of a one-part upload)


class LocalStorage:
    """Files under one root folder; keys are relative paths we generate ourselves."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage root")
        return path

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # never leave half a file behind
            if exc.errno in FULL_DISK_ERRORS:
                raise StorageFull() from exc
            raise
        os.replace(tmp, path)

    def open(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check(self) -> str | None:
        """None if writable, else what is wrong."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-probe"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            return f"cannot write to {self.root}: {exc.strerror}"
        return None

    def url(self, key: str) -> str | None:
        return None

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp") and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def etag(self, key: str) -> str | None:
        """The MD5 of the file, as S3 names a file uploaded in one part."""
        path = self._path(key)
        return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() if path.is_file() else None


class S3Storage:
    """Objects in one bucket of any S3-compatible store, under our own keys."""

    def __init__(self, client: Any, bucket: str, *, public_base: str | None = None, url_expires: int = 3600):
        self.client = client
        self.bucket = bucket
        self.public_base = public_base  # set: unsigned URLs under it (a CDN, or a public bucket)
        self.url_expires = url_expires

    @staticmethod
    def _check_key(key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError("storage key escapes the storage root")
        return key

    def save(self, key: str, data: bytes) -> None:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._check_key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def open(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._check_key(key))["Body"].read()
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._check_key(key))

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def _head(self, key: str) -> dict[str, Any] | None:
        """The object's metadata, or None when it is not there."""
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._check_key(key))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def etag(self, key: str) -> str | None:
        head = self._head(key)
        return None if head is None else str(head["ETag"]).strip('"')

    def keys(self) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                yield item["Key"]

    def check(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            return f"cannot reach bucket {self.bucket}: {exc}"
        return None

    def url(self, key: str) -> str:
        if self.public_base:
            return f"{self.public_base.rstrip('/')}/{quote(self._check_key(key))}"
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._check_key(key)}, ExpiresIn=self.url_expires
        )


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def make_s3_client(config: dict[str, Any]) -> Any:
    """A boto3 S3 client from S3_* settings (unset keys: boto3's own chain, e.g. an IAM role)."""
    style = config.get("S3_ADDRESSING_STYLE") or ("path" if config.get("S3_ENDPOINT_URL") else "auto")
    return boto3.client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region_name=config.get("S3_REGION") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        config=BotoConfig(
            signature_version="s3v4",
            # Path-style URLs (endpoint/bucket/key) for a store of our own, as MinIO wants.
            s3={"addressing_style": style},
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def make_storage(config: dict[str, Any], backend: str, *, instance_path: str) -> Storage:
    """The storage a backend name stands for, from the app's settings."""
    if backend == "local":
        return LocalStorage(Path(config.get("UPLOAD_ROOT") or Path(instance_path) / "uploads"))
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET.")
        public_base = config.get("CDN_BASE_URL") or None
        if not public_base and config.get("S3_PUBLIC_URLS"):
            endpoint = (config.get("S3_ENDPOINT_URL") or "https://s3.amazonaws.com").rstrip("/")
            public_base = f"{endpoint}/{config['S3_BUCKET']}"
        return S3Storage(
            make_s3_client(config),
            config["S3_BUCKET"],
            public_base=public_base,
            url_expires=int(config.get("S3_URL_EXPIRES") or 3600),
        )
    raise RuntimeError(f"STORAGE_BACKEND must be local or s3, not {backend!r}.")


def init_app(app: Flask) -> None:
    app.extensions["storage"] = make_storage(
        app.config, app.config.get("STORAGE_BACKEND") or "local", instance_path=app.instance_path
    )
    app.add_template_global(media_url)


def media_url(key: str) -> str:
    """Where a page links an uploaded file: the storage's own URL (S3, a CDN), else /media/<key>
    (behind CDN_BASE_URL when one fronts the app)."""
    found = get_storage().url(key)
    if found:
        return found
    path = url_for("main.media", key=key)
    cdn = current_app.config.get("CDN_BASE_URL")
    return f"{cdn.rstrip('/')}{path}" if cdn else path


def absolute_media_url(key: str) -> str:
    """``media_url`` as an absolute URL (for og:image and emails)."""
    url = media_url(key)
    if urlsplit(url).scheme:
        return url
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}{url}"


def media_origin(config: dict[str, Any]) -> list[str]:
    """The origin images come from when it is not our own (for the CSP's img-src)."""
    backend = config.get("STORAGE_BACKEND") or "local"
    base = config.get("CDN_BASE_URL") or (
        (config.get("S3_ENDPOINT_URL") or "https://*.amazonaws.com") if backend == "s3" else None
    )
    if not base:
        return []
    parts = urlsplit(base)
    return [f"{parts.scheme}://{parts.netloc}"]


def get_storage() -> Storage:
    return current_app.extensions["storage"]


def delete_files_after_commit(keys: list[str]) -> None:
    """Delete ``keys`` from storage once the session commits the change that orphans them; a
    rollback keeps them."""
    keys = [key for key in keys if key]
    if not keys:
        return
    session = db.session()
    storage = get_storage()
    state = {"cancelled": False}

    def remove(_session) -> None:
        if not state["cancelled"]:
            for key in keys:
                storage.delete(key)

    def cancel(_session, _previous) -> None:
        state["cancelled"] = True  # a rollback undid the change: keep the files

    event.listen(session, "after_commit", remove, once=True)
    event.listen(session, "after_soft_rollback", cancel, once=True)


# -- `flask storage copy`: moving existing files to another backend -------------------------------


def same_file(source: Storage, target: Storage, key: str) -> bool:
    """Whether ``target`` already holds ``key`` as ``source`` does: the same size, and the same
    ETag (MD5) unless either was uploaded in parts (then S3's ETag is no MD5)."""
    size = target.size(key)
    if size is None or size != source.size(key):
        return False
    ours, theirs = source.etag(key), target.etag(key)
    if ours is None or theirs is None or "-" in ours or "-" in theirs:
        return True
    return ours == theirs


def copy_files(source: Storage, target: Storage, *, label: str = "Copying") -> tuple[int, int]:
    """Copy every file of ``source`` missing or different in ``target``; (copied, skipped)."""
    keys = list(source.keys())
    copied = skipped = 0
    with click.progressbar(keys, label=label, show_pos=True) as bar:
        for key in bar:
            if same_file(source, target, key):
                skipped += 1
                continue
            target.save(key, source.open(key))
            copied += 1
    return copied, skipped


@click.group("storage")
def storage_cli() -> None:
    """Uploaded files: copy them between local disk and an S3-compatible bucket."""


@storage_cli.command("copy")
@click.option("--from", "source", type=click.Choice(["local", "s3"]), required=True, help="Where the files are now.")
@click.option("--to", "target", type=click.Choice(["local", "s3"]), required=True, help="Where to copy them.")
@with_appcontext
def copy_command(source: str, target: str) -> None:
    """Copy every uploaded file across (safe to run again: what is there already is skipped).
    Both backends are read from the settings (UPLOAD_ROOT, S3_*), whichever STORAGE_BACKEND is."""
    if source == target:
        raise click.UsageError("--from and --to must differ.")
    config = current_app.config
    try:
        origin = make_storage(config, source, instance_path=current_app.instance_path)
        destination = make_storage(config, target, instance_path=current_app.instance_path)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    if problem := destination.check():
        raise click.ClickException(problem)
    copied, skipped = copy_files(origin, destination, label=f"Copying {source} -> {target}")
    click.echo(f"{copied} copied, {skipped} already there.")
