"""in_ids: one array parameter, whatever the number of ids, and the same rows as IN;
one_or_not_found: the row, or NotFound with the caller's message; savepoint_or_refuse: a
constraint's refusal as the caller's error, the transaction still usable."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, column, select, text, values
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from app.platform.errors import Conflict, NotFound
from app.platform.extensions import db
from app.platform.sqlutil import in_ids, one_or_not_found, savepoint_or_refuse


def test_in_ids_sends_one_parameter_and_matches_like_in(ctx):
    rows = values(column("n", Integer), name="t").data([(n,) for n in range(1, 8)])
    numbers = select(rows.c.n)

    def found(ids) -> list[int]:
        return sorted(db.session.scalars(numbers.where(in_ids(rows.c.n, ids))))

    assert found([2, 5, 9]) == [2, 5]
    assert found(n for n in (7,)) == [7]  # any iterable
    assert found([]) == []  # nothing, as IN of nothing
    compiled = in_ids(column("n", Integer), range(50)).compile(dialect=postgresql.dialect())
    assert list(compiled.params.values()) == [list(range(50))] and "ANY" in str(compiled)


def test_one_or_not_found_gives_the_row_or_refuses_with_the_message(ctx):
    numbers = select(values(column("n", Integer), name="t").data([(1,), (2,)]).c.n)
    t = numbers.selected_columns.n
    assert one_or_not_found(numbers.where(t == 2), "no such number") == 2
    with pytest.raises(NotFound, match="no such number"):
        one_or_not_found(numbers.where(t == 3), "no such number")


def test_savepoint_or_refuse_words_the_constraints_refusal_and_keeps_the_transaction(ctx):
    db.session.execute(text("CREATE TEMP TABLE numbers (n int CONSTRAINT uq_numbers_n UNIQUE)"))
    db.session.execute(text("INSERT INTO numbers VALUES (1)"))
    with pytest.raises(Conflict, match="taken"), savepoint_or_refuse(Conflict("taken"), constraint="uq_numbers_n"):
        db.session.execute(text("INSERT INTO numbers VALUES (1)"))
    # Another constraint's refusal is not the caller's to word.
    with pytest.raises(IntegrityError), savepoint_or_refuse(Conflict("taken"), constraint="uq_other"):
        db.session.execute(text("INSERT INTO numbers VALUES (1)"))
    with savepoint_or_refuse(Conflict("taken")):
        db.session.execute(text("INSERT INTO numbers VALUES (2)"))
    assert sorted(db.session.scalars(text("SELECT n FROM numbers"))) == [1, 2]
