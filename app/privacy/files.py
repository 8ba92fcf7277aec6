"""Deleting stored files only once the database change that orphans them has committed."""

from __future__ import annotations

from sqlalchemy import event

from app.platform.extensions import db
from app.platform.storage import get_storage


def delete_files_after_commit(keys: list[str]) -> None:
    """Delete ``keys`` from storage after the session commits; a rollback keeps them."""
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
        state["cancelled"] = True

    event.listen(session, "after_commit", remove, once=True)
    event.listen(session, "after_soft_rollback", cancel, once=True)
