"""Where uploaded files live. Local disk by default; one interface for any backend."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from app.errors import OutOfSpace

# The disk (or the user's quota) is full: the request cannot succeed until someone frees space.
FULL_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(OutOfSpace):
    pass

    def __init__(self) -> None:
        super().__init__("We are out of storage space, so your file was not saved. Please try again later.")


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def check(self) -> str | None: ...


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


def init_app(app: Flask) -> None:
    root = Path(app.config.get("UPLOAD_ROOT") or Path(app.instance_path) / "uploads")
    app.extensions["storage"] = LocalStorage(root)


def get_storage() -> Storage:
    return current_app.extensions["storage"]
