"""A table of repeating rows in a form, like the service form's options and add-ons
(app/venues/catalog_forms.py, app/venues/addon_table.py).

A ``RowTable`` declares one table: its key (``"option"``: fields ``option-<index>-<column>``,
``options_sent`` posted with the table), its columns, the most rows it holds and its texts.
``TableRows`` is that table on one form: the rows as shown, what the posted rows say once each is
read (``None``: the table was not posted, so what it edits stays as it is) and what is wrong
with them, one message a row. A posted row left empty, or ticked "remove", is dropped; a row
also carries the ``id`` of what it edits, if anything. Every table is drawn by the one macro
``row_table`` (templates/venues/dashboard/_row_table.html), with empty rows under the filled
ones so a row can be added without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.platform.errors import ValidationFailed

Value = TypeVar("Value")
Row = dict[str, str]  # column key (and "id") -> the text of the field, stripped


@dataclass(frozen=True)
class Column:
    """One field of a row: its key, the table's header over it and its label on each row
    (``%(num)d``: the row's number), the attributes of its ``<input>`` and, when it has one, the
    placeholder of the first row."""

    key: str
    header: Any  # a lazy message
    label: Any  # a lazy message with %(num)d
    attrs: Mapping[str, str] = field(default_factory=dict)
    placeholder: Any = None  # None: no placeholder attribute


@dataclass(frozen=True)
class RowTable:
    """The declaration of one table. Texts are lazy messages; ``help`` and ``more`` take
    ``%(num)d`` (``most``), ``remove`` the row's number."""

    key: str
    columns: tuple[Column, ...]
    most: int
    legend: Any
    help: Any
    remove: Any  # after "Remove" on a row's box, for screen readers: "option 3"
    more: Any  # under the table: how to get more rows
    blank: int = 2  # empty rows shown under the filled ones

    @property
    def keys(self) -> str:
        """The table's plural key: ``options_sent``, ``data-service-options``, ``options-help``."""
        return f"{self.key}s"

    def posted(self, formdata: Any) -> list[Row] | None:
        """The posted rows in order, without the empty ones and those ticked "remove"; None when
        the table was not posted. Rows past ``most`` are read too (up to ``blank`` more), so that a
        table with too many is refused rather than cut short."""
        if not formdata.get(f"{self.keys}_sent"):
            return None
        rows = []
        for index in range(self.most + self.blank):
            row = {key: self._text(formdata, index, key) for key in (*(c.key for c in self.columns), "id")}
            filled = any(row[column.key] for column in self.columns)
            if filled and not formdata.get(f"{self.key}-{index}-remove"):
                rows.append(row)
        return rows

    def _text(self, formdata: Any, index: int, key: str) -> str:
        return str(formdata.get(f"{self.key}-{index}-{key}", "") or "").strip()


class TableRows(Generic[Value]):
    """One table on one form: ``rows`` as shown, ``values`` read from them (None: not posted)
    and ``errors``."""

    def __init__(self, table: RowTable) -> None:
        self.table = table
        self.rows: list[Row] = []
        self.values: list[Value] | None = None
        self.errors: list[str] = []

    def show(self, rows: list[Row]) -> None:
        """The rows of a form shown (not posted): what it edits today."""
        self.rows = rows

    def read(self, formdata: Any, read_row: Callable[[Row, int], Value], check: Callable[[list[Value]], None]) -> None:
        """The posted table: each kept row through ``read_row`` (its ValueError, naming the row
        by its number from 1, is the row's error), then, when every row is right, all of them
        through ``check`` (its ValidationFailed is the table's error)."""
        rows = self.table.posted(formdata)
        if rows is None:
            return
        self.rows, self.values = rows, []
        for number, row in enumerate(rows, start=1):
            try:
                self.values.append(read_row(row, number))
            except ValueError as exc:
                self.errors.append(str(exc))
        if not self.errors:
            try:
                check(self.values)
            except ValidationFailed as exc:
                self.errors.append(exc.message)

    @property
    def blank_rows(self) -> int:
        """Empty rows shown under the filled ones, while the table has room for them."""
        return max(0, min(self.table.most - len(self.rows), self.table.blank))
