"""The app's cursor (app/platform/cursors.py): a description that says what psycopg's says, built
only when a column of it is read, and never read by SQLAlchemy for a statement it has run before."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select, text

from app.accounts.models import User
from app.platform.cursors import Cursor, LazyDescription
from app.platform.extensions import db
from tests.factories import UserFactory


@pytest.fixture
def cursor(ctx):
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as found:
        yield found


def test_the_apps_engine_hands_out_our_cursor(cursor):
    assert type(cursor) is Cursor


def test_the_description_says_what_psycopgs_says(cursor):
    cursor.execute("SELECT 1 AS one, 'x'::text AS letter, now() AS at")
    ours = cursor.description
    theirs = psycopg.Cursor.description.fget(cursor)
    assert isinstance(ours, LazyDescription) and len(ours) == 3
    assert [column.name for column in ours] == ["one", "letter", "at"] == [column.name for column in theirs]
    assert [column.type_code for column in ours] == [column.type_code for column in theirs]
    assert ours[1].name == "letter" and [column.name for column in ours[1:]] == ["letter", "at"]
    assert ours[-1][0] == "at"  # a column is a DB-API 7-item sequence, name first
    assert [tuple(column) for column in ours] == [tuple(column) for column in theirs]  # all 7 items


def test_no_rows_no_description_and_an_empty_select_an_empty_one(cursor):
    cursor.execute("CREATE TEMP TABLE scratch (n int)")
    assert cursor.description is None
    cursor.execute("INSERT INTO scratch VALUES (1)")
    assert cursor.description is None
    cursor.execute("SELECT")  # rows of no columns: a description, empty (as psycopg's)
    assert cursor.description is not None and len(cursor.description) == 0 and list(cursor.description) == []


def test_a_description_read_after_the_next_statement_refuses_rather_than_describe_that_one(cursor):
    cursor.execute("SELECT 1 AS first")
    kept = cursor.description
    cursor.execute("SELECT 2 AS second, 3 AS third")
    assert len(kept) == 1  # its length was its own statement's
    with pytest.raises(RuntimeError, match="after the cursor ran another statement"):
        kept[0]
    built = cursor.description
    assert built[0].name == "second"
    cursor.execute("SELECT 4 AS fourth")
    assert built[0].name == "second"  # built before the next statement: kept as it was


def test_sqlalchemy_reads_no_column_of_a_statement_it_has_run_before(ctx, monkeypatch):
    UserFactory(email="described@example.com")
    wanted = select(User).where(User.email == "described@example.com")
    assert db.session.scalars(wanted).one().email == "described@example.com"  # compiled and cached
    built: list[int] = []
    columns = LazyDescription.columns

    def counted(self):
        built.append(len(self))
        return columns(self)

    monkeypatch.setattr(LazyDescription, "columns", counted)
    db.session.expunge_all()
    assert db.session.scalars(select(User).where(User.email == "described@example.com")).one().email == (
        "described@example.com"
    )
    assert built == []  # the rows came, their columns from the compiled statement's cache
    assert db.session.execute(text("SELECT 7 AS lucky")).scalar_one() == 7
    assert built and set(built) == {1}  # a new textual statement's columns are matched by their names: read
