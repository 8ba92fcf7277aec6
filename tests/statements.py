"""The SQL statements a piece of code sends, for the tests that count them (a page's statements
stay the same however many rows it shows): ``with statements_sent() as sent: ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.platform.extensions import db

HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")  # the tests' own savepoints


@contextmanager
def statements_sent(*, savepoints: bool = False) -> Iterator[list[str]]:
    """The statements sent to the database inside the block, in order, the tests' savepoints left
    out (``savepoints``: every statement, for the tests that say "no SQL at all")."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        if savepoints or not statement.startswith(HARNESS):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
