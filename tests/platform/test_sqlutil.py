"""in_ids: one array parameter, whatever the number of ids, and the same rows as IN."""

from __future__ import annotations

from sqlalchemy import Integer, column, select, values
from sqlalchemy.dialects import postgresql

from app.platform.extensions import db
from app.platform.sqlutil import in_ids


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
