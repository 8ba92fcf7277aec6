"""The shared row table of forms (app/venues/row_table.py): which posted rows are kept, how each
is read and checked, and how many empty rows are shown. The service form's options and add-ons
tables use it (tests/venues/test_service_options_form.py, test_service_addons_form.py)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.platform.errors import ValidationFailed
from app.venues.row_table import Column, Row, RowTable, TableRows

TABLE = RowTable(
    key="thing",
    columns=(Column("name", "Name", "Thing %(num)d name"), Column("size", "Size", "Thing %(num)d size")),
    most=3,
    legend="Things",
    help="Up to %(num)d things.",
    remove="thing %(num)d",
    more="More rows after saving (up to %(num)d things).",
)


def posted(*rows: tuple[str, str], removed: tuple[int, ...] = (), **extra: str) -> MultiDict:
    data = MultiDict({"things_sent": "1", **extra})
    for index, (name, size) in enumerate(rows):
        data.add(f"thing-{index}-name", name)
        data.add(f"thing-{index}-size", size)
    for index in removed:
        data.add(f"thing-{index}-remove", "1")
    return data


def read_thing(row: Row, number: int) -> tuple[str, int]:
    if not row["name"]:
        raise ValueError(f"Thing {number}: give it a name.")
    return row["name"], int(row["size"] or 0)


def at_most_two(things: list[tuple[str, int]]) -> None:
    if len(things) > 2:
        raise ValidationFailed("At most 2 here.")


def test_a_post_without_the_table_reads_nothing():
    rows = TableRows(TABLE)
    rows.read(MultiDict({"thing-0-name": "Kept"}), read_thing, at_most_two)
    assert TABLE.posted(MultiDict()) is None
    assert (rows.rows, rows.values, rows.errors) == ([], None, [])


def test_empty_and_removed_rows_are_dropped_and_values_are_stripped():
    data = posted((" Lamp ", " 2"), ("", "  "), ("Desk", "5"), ("Chair", ""), removed=(2,), **{"thing-3-id": "7"})
    assert TABLE.posted(data) == [{"name": "Lamp", "size": "2", "id": ""}, {"name": "Chair", "size": "", "id": "7"}]


def test_rows_past_the_most_are_read_so_too_many_is_refused_not_cut():
    data = posted(*[(f"T{n}", "1") for n in range(7)])
    assert [row["name"] for row in TABLE.posted(data)] == ["T0", "T1", "T2", "T3", "T4"]  # most 3, plus 2


def test_each_row_is_read_and_its_error_names_it_then_the_table_is_checked():
    rows = TableRows(TABLE)
    rows.read(posted(("Lamp", "2"), ("", "3")), read_thing, at_most_two)
    assert rows.errors == ["Thing 2: give it a name."]
    assert rows.values == [("Lamp", 2)]
    checked = TableRows(TABLE)
    checked.read(posted(("A", "1"), ("B", "1"), ("C", "1")), read_thing, at_most_two)
    assert checked.errors == ["At most 2 here."]
    empty = TableRows(TABLE)
    empty.read(posted(), read_thing, at_most_two)
    assert (empty.rows, empty.values, empty.errors) == ([], [], [])


@pytest.mark.parametrize(("filled", "blank"), [(0, 2), (1, 2), (2, 1), (3, 0), (5, 0)])
def test_empty_rows_are_shown_while_the_table_has_room(filled, blank):
    rows = TableRows(TABLE)
    rows.show([{"name": f"T{n}", "size": "1", "id": ""} for n in range(filled)])
    assert rows.blank_rows == blank
