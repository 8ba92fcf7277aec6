"""The add-ons table of the dashboard's service form (app/venues/addons.py): a row per add-on
(name, price, extra minutes) with two empty rows under them, read into ``AddonInput``s. A mixin
of ``ServiceForm`` (app/venues/catalog_forms.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.venues.addons import MAX_ADDONS, AddonInput, check_addons
from app.venues.price_input import format_price_input, parse_price


@dataclass
class AddonRow:
    """One row of the add-ons table as shown: the text the owner typed (or the add-on's own)."""

    name: str = ""
    price: str = ""
    minutes: str = ""
    id: str = ""


def _addon_row(formdata: Any, index: int) -> AddonRow:
    def value(key: str) -> str:
        return str(formdata.get(f"addon-{index}-{key}", "") or "").strip()

    return AddonRow(value("name"), value("price"), value("minutes"), value("id"))


def read_addon_row(row: AddonRow, number: int, known_ids: set[int]) -> AddonInput:
    """A filled row as an AddonInput; ValueError says what is wrong, naming the row. ``known_ids``:
    the service's own add-ons (a row naming another is refused)."""
    if not row.name:
        raise ValueError(_("Add-on %(num)d: give it a name, like “Hot stones”.", num=number))
    try:
        price = parse_price(row.price)
    except ValueError as exc:
        raise ValueError(
            _("Add-on %(num)d (“%(name)s”): %(problem)s", num=number, name=row.name, problem=exc)
        ) from None
    try:
        minutes = int(row.minutes) if row.minutes else 0
    except ValueError:
        raise ValueError(
            _(
                "Add-on %(num)d (“%(name)s”): enter the extra minutes as a whole number (0 for none).",
                num=number,
                name=row.name,
            )
        ) from None
    try:
        addon_id = int(row.id) if row.id else None
    except ValueError:
        raise ValueError(_("Add-on %(num)d: reload the page and try again.", num=number)) from None
    if addon_id is not None and addon_id not in known_ids:
        raise ValueError(_("That add-on is not one of this service's."))
    return AddonInput(name=row.name, price_minor=price, extra_minutes=minutes, id=addon_id)


class AddonTable:
    """The add-ons table's state on a form: rows as shown, what they say (None: the table was
    not posted, the service keeps its add-ons) and what is wrong with them."""

    addon_rows: list[AddonRow]
    addons: list[AddonInput] | None = None
    addon_errors: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addon_rows, self.addon_errors = [], []

    def show_addons(self, service: Any) -> None:
        """The add-on rows of an edit form shown (not posted): the service's add-ons."""
        self.addon_rows = [
            AddonRow(a.name, format_price_input(a.price_minor), str(a.extra_minutes), str(a.id)) for a in service.addons
        ]

    def read_addons(self, formdata: Any, service: Any = None) -> None:
        """The posted add-ons table: filled rows become ``addons`` (a row ticked "remove" or left
        empty is dropped); a post without the table keeps the service's add-ons. A row may keep
        only one of ``service``'s own add-ons."""
        if not formdata.get("addons_sent"):
            return
        known_ids = {a.id for a in service.addons} if service is not None else set()
        rows = [_addon_row(formdata, index) for index in range(MAX_ADDONS + 2)]
        removed = {index for index in range(len(rows)) if formdata.get(f"addon-{index}-remove")}
        kept = [
            row for index, row in enumerate(rows) if index not in removed and (row.name or row.price or row.minutes)
        ]
        self.addon_rows = kept
        self.addons = []
        for number, row in enumerate(kept, start=1):
            try:
                self.addons.append(read_addon_row(row, number, known_ids))
            except ValueError as exc:
                self.addon_errors.append(str(exc))
        if not self.addon_errors:
            try:
                check_addons(self.addons)
            except ValidationFailed as exc:
                self.addon_errors.append(exc.message)

    @property
    def addon_blank_rows(self) -> int:
        """Empty add-on rows shown under the filled ones (an add-on can be added without JavaScript)."""
        return max(0, min(MAX_ADDONS - len(self.addon_rows), 2))
