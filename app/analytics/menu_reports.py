"""A venue's bookings by service option and add-on, and its rooms' and equipment's use, for a
period (issue 44, item 7; docs/analytics.md, "Options, add-ons and rooms").

What counts is what the report's "Top services" counts (app/analytics/rollup.py, ``COUNTED``):
bookings that start in the period, in the venue's local days, and took the time: confirmed,
completed or no-show, never a move's hold. Their gross is the price less its promo share, as
there. These figures are not in the rollups: they are read from the period's bookings through
booking's read functions (app/booking/reporting.py) and the venue's resources through venues'
(app/venues/resources.py), one statement each, four in all whatever the venue's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.analytics import occupancy
from app.booking.reporting import addon_sales, option_sales, resource_minutes
from app.venues.resources import venue_resources

# The statuses of a booking that took its time: the rollup's COUNTED, as a list for the read functions.
COUNTED_STATUSES = ("confirmed", "completed", "no_show")


@dataclass(frozen=True)
class OptionRow:
    name: str  # "Aromatherapy massage · 90 min"
    bookings: int
    gross_minor: int  # add-ons included


@dataclass(frozen=True)
class AddonRow:
    name: str
    times: int
    gross_minor: int


@dataclass(frozen=True)
class RoomRow(occupancy.Occupied):
    """A resource's booked minutes (every unit, cleanup included) over its available ones: its
    quantity times the venue's open minutes in the period."""

    name: str
    quantity: int
    booked_minutes: int
    available_minutes: int


@dataclass(frozen=True)
class MenuFigures:
    options: list[OptionRow]
    addons: list[AddonRow]
    rooms: list[RoomRow]

    @property
    def any_sold(self) -> bool:
        """Any booking of an option or with an add-on in the period."""
        return bool(self.options or self.addons)

    @property
    def any_room_held(self) -> bool:
        return any(r.booked_minutes for r in self.rooms)


def menu_figures(
    venue_id: int,
    start: datetime,
    end: datetime,
    open_minutes: int,
    *,
    member_id: int | None = None,
    with_revenue: bool = True,
) -> MenuFigures:
    """The period [start, end) (UTC instants of its first and after days' local midnights);
    ``open_minutes`` the venue's open minutes in it (opening hours less closures and the
    venue's time blocks). ``member_id`` counts one team member's bookings only; ``with_revenue``
    False leaves money at 0."""
    scope = {"statuses": COUNTED_STATUSES, "member_id": member_id}
    options = [
        OptionRow(f"{s.service_name} · {s.option_name}", s.bookings, s.gross_minor if with_revenue else 0)
        for s in option_sales(venue_id, start, end, **scope)
    ]
    addons = [
        AddonRow(s.name, s.times, s.gross_minor if with_revenue else 0)
        for s in addon_sales(venue_id, start, end, **scope)
    ]
    held = resource_minutes(venue_id, start, end, **scope)
    rooms = [
        RoomRow(r.name, r.quantity, held.get(r.id, 0), r.quantity * open_minutes) for r in venue_resources(venue_id)
    ]
    return MenuFigures(options, addons, rooms)
