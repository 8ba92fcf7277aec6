"""The add-ons table of the dashboard's service form (app/venues/addons.py): a row per add-on
(name, price, extra minutes), declared for the shared row table (app/venues/row_table.py) and
read into ``AddonInput``s by ``ServiceForm`` (app/venues/catalog_forms.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.venues.addons import MAX_ADDONS, AddonInput
from app.venues.price_input import format_price_input, parse_price
from app.venues.row_table import Column, Row, RowTable

ADDON_TABLE = RowTable(
    key="addon",
    columns=(
        Column("name", _l("Name"), _l("Add-on %(num)d name"), {"maxlength": "60"}, placeholder=_l("Hot stones")),
        Column("price", _l("Price"), _l("Add-on %(num)d price"), {"inputmode": "decimal"}, placeholder="15.00"),
        Column(
            "minutes",
            _l("Extra minutes"),
            _l("Add-on %(num)d extra minutes"),
            {"type": "number", "min": "0", "max": "240", "step": "5"},
            placeholder="15",
        ),
    ),
    most=MAX_ADDONS,
    legend=_l("Add-ons"),
    help=_l(
        "Optional: up to %(num)d extras customers can add when they book, like “Hot stones”. Each adds its price "
        "to the booking's and its extra minutes to its length (0 for none). Leave the rows empty for none; empty "
        "rows are ignored."
    ),
    remove=_l("add-on %(num)d"),
    more=_l("Need more rows? Save, and new empty rows appear (up to %(num)d add-ons)."),
)


def addon_row(addon: Any) -> Row:
    """The row that shows one of a service's add-ons."""
    return {
        "name": addon.name,
        "price": format_price_input(addon.price_minor),
        "minutes": str(addon.extra_minutes),
        "id": str(addon.id),
    }


def read_addon_row(row: Row, number: int, known_ids: set[int]) -> AddonInput:
    """A filled row as an AddonInput; ValueError says what is wrong, naming the row. ``known_ids``:
    the service's own add-ons (a row naming another is refused)."""
    name = row["name"]
    if not name:
        raise ValueError(_("Add-on %(num)d: give it a name, like “Hot stones”.", num=number))
    try:
        price = parse_price(row["price"])
    except ValueError as exc:
        raise ValueError(_("Add-on %(num)d (“%(name)s”): %(problem)s", num=number, name=name, problem=exc)) from None
    try:
        minutes = int(row["minutes"]) if row["minutes"] else 0
    except ValueError:
        raise ValueError(
            _(
                "Add-on %(num)d (“%(name)s”): enter the extra minutes as a whole number (0 for none).",
                num=number,
                name=name,
            )
        ) from None
    try:
        addon_id = int(row["id"]) if row["id"] else None
    except ValueError:
        raise ValueError(_("Add-on %(num)d: reload the page and try again.", num=number)) from None
    if addon_id is not None and addon_id not in known_ids:
        raise ValueError(_("That add-on is not one of this service's."))
    return AddonInput(name=name, price_minor=price, extra_minutes=minutes, id=addon_id)
