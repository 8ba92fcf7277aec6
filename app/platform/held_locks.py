"""Row locks this transaction holds, so that locking the same rows again sends nothing.

A row lock (``SELECT ... FOR UPDATE``) lasts until the transaction ends, except one taken inside
a savepoint, which rolling the savepoint back lets go of. So what a transaction locked outside
any savepoint, and what it read as it locked it, stays true until it commits or rolls back: no
one else can change those rows meanwhile. A second ask for the same lock (checkout locks its
cart's rooms at once, then each item it holds asks again; a payment's settlement locks its order,
then confirming the order asks again) can be answered from here.

Only locks taken outside any savepoint are kept, and all of them are forgotten when the
transaction ends (``after_transaction_end`` of the session's outermost transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.platform.extensions import db

KEY = "held_locks"


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed or rolled back: its locks are gone
        session.info.pop(KEY, None)


def held(kind: str) -> dict[Any, Any]:
    """What this transaction locked of ``kind``, by key (read only)."""
    return db.session.info.get(KEY, {}).get(kind, {})


def keep(kind: str, found: dict[Any, Any]) -> None:
    """Note rows just locked (by key, with what was read of them), unless inside a savepoint."""
    if not db.session().in_nested_transaction():
        db.session.info.setdefault(KEY, {}).setdefault(kind, {}).update(found)
