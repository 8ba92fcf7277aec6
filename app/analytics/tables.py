"""Every analytics table as headers and rows of plain cells: the pages show them (the table
behind each chart) and the CSV export writes them, so the two never disagree.

A cell is a number, a string or None; money is in minor units here, and each table says
which columns are money (``money``) so the page formats them and the CSV writes decimals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _

from app.analytics.market_reports import MarketReport
from app.analytics.venue_reports import VenueReport

VENUE_TABLES = (
    "summary",
    "daily",
    "members",
    "hours",
    "clients",
    "services",
    "options",
    "addons",
    "rooms",
    "ratings",
    "invitations",
    "tips",
)
MARKET_TABLES = ("summary", "signups", "money", "daily", "funnel", "zero_searches")


@dataclass(frozen=True)
class Table:
    name: str
    caption: str
    headers: list[str]
    rows: list[list[Any]]
    money: frozenset[int] = field(default_factory=frozenset)  # column indexes holding minor units
    percent: frozenset[int] = field(default_factory=frozenset)  # column indexes holding ratios
    money_rows: frozenset[int] = field(default_factory=frozenset)  # rows whose figures (columns 1, 2) are money
    percent_rows: frozenset[int] = field(default_factory=frozenset)  # rows whose figures are ratios


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return (now - before) / before


def _gross_last(report: VenueReport, items: Sequence[Any], table: Table) -> Table:
    """``table`` (one row per item) with each item's gross as a last, money column when the
    report shows revenue; the table as it is otherwise."""
    if not report.with_revenue:
        return table
    return replace(
        table,
        headers=[*table.headers, _("Gross")],
        rows=[[*row, item.gross_minor] for row, item in zip(table.rows, items, strict=True)],
        money=frozenset({len(table.headers)}),
    )


def venue_tables(report: VenueReport) -> dict[str, Table]:
    now, before = report.current, report.before
    summary_rows: list[list[Any]] = [
        [_("Bookings"), now.bookings, before.bookings, _change(now.bookings, before.bookings)],
        [_("Online bookings"), now.online, before.online, _change(now.online, before.online)],
        [_("Bookings through your website"), now.site, before.site, _change(now.site, before.site)],
        [_("Walk-in and desk bookings"), now.desk, before.desk, _change(now.desk, before.desk)],
        [_("Completed"), now.completed, before.completed, _change(now.completed, before.completed)],
        [_("Cancellations"), now.cancelled, before.cancelled, _change(now.cancelled, before.cancelled)],
        [
            _("Late cancellations"),
            now.late_cancelled,
            before.late_cancelled,
            _change(now.late_cancelled, before.late_cancelled),
        ],
        [_("No-shows"), now.no_shows, before.no_shows, _change(now.no_shows, before.no_shows)],
        [
            _("Booked hours"),
            round(now.booked_minutes / 60, 1),
            round(before.booked_minutes / 60, 1),
            _change(now.booked_minutes, before.booked_minutes),
        ],
        [
            _("Median lead time (hours)"),
            _round(report.lead_hours),
            _round(report.lead_hours_before),
            _change(report.lead_hours, report.lead_hours_before),
        ],
    ]
    money_rows: set[int] = set()
    if report.with_revenue:
        for label, attr in (
            (_("Gross"), "gross_minor"),
            (_("Online gross"), "online_gross_minor"),
            (_("Website gross"), "site_gross_minor"),
            (_("Commission on website bookings"), "site_commission_minor"),
            (_("Desk gross"), "desk_gross_minor"),
            (_("Refunds"), "refunds_minor"),
            (_("Commission"), "commission_minor"),
            (_("Net"), "net_minor"),
        ):
            money_rows.add(len(summary_rows))
            a, b = getattr(now, attr), getattr(before, attr)
            summary_rows.append([label, a, b, _change(a, b)])
    tables = {
        "summary": Table(
            "summary",
            _("This period against the one before"),
            [_("Figure"), _("This period"), _("Previous period"), _("Change")],
            summary_rows,
            percent=frozenset({3}),
            money_rows=frozenset(money_rows),
        ),
    }
    tables["daily"] = Table(
        "daily",
        _("Bookings per day"),
        [_("Day"), _("Online"), _("Your website"), _("Desk")],
        [[d.day.isoformat(), d.online, d.site, d.desk] for d in report.daily],
    )
    tables["members"] = Table(
        "members",
        _("Occupancy by team member"),
        [_("Team member"), _("Bookings"), _("Booked hours"), _("Available hours"), _("Occupancy")],
        [
            [m.name, m.bookings, round(m.booked_minutes / 60, 1), round(m.available_minutes / 60, 1), m.occupancy]
            for m in report.members
        ],
        percent=frozenset({4}),
    )
    names = weekday_names()
    tables["hours"] = Table(
        "hours",
        _("Occupancy by weekday and hour"),
        [_("Weekday"), _("Hour"), _("Booked minutes"), _("Available minutes"), _("Occupancy")],
        [
            [names[c.weekday], f"{c.hour:02d}:00", c.booked_minutes, c.available_minutes, c.occupancy]
            for c in report.hours
        ],
        percent=frozenset({4}),
    )
    c = report.clients
    tables["clients"] = Table(
        "clients",
        _("New and returning clients"),
        [_("Figure"), _("Value")],
        [
            [_("New clients"), c.new],
            [_("Returning clients"), c.returning],
            [_("New clients who came back within 90 days"), c.new_returned_90],
            [_("90-day retention"), c.retention],
        ],
        percent_rows=frozenset({3}),
    )
    kinds = {"rebook": _("Rebooking nudges"), "win_back": _("Win-back messages"), "birthday": _("Birthday messages")}
    tables["invitations"] = Table(
        "invitations",
        _("Invitations back"),
        [_("Invitation"), _("Sent"), _("Followed by a booking within 14 days"), _("Share")],
        [[kinds.get(i.kind, i.kind), i.sent, i.followed, i.share] for i in report.invitations],
        percent=frozenset({3}),
    )
    tables["tips"] = Table(
        "tips",
        _("Tips per team member"),
        [_("Team member"), _("Tips"), _("Amount"), _("Refunded"), _("Net")],
        [[t.name or _("The venue"), t.tips, t.amount_minor, t.refunded_minor, t.net_minor] for t in report.tips],
        money=frozenset({2, 3, 4}),
    )
    tables["services"] = Table(
        "services",
        _("Top services"),
        [_("Service"), _("Bookings")],
        [[s.name, s.bookings] for s in report.services],
    )
    menu = report.menu
    tables["options"] = Table(
        "options",
        _("Bookings by option (gross with add-ons)"),
        [_("Service and option"), _("Bookings")],
        [[o.name, o.bookings] for o in menu.options],
    )
    tables["addons"] = Table(
        "addons",
        _("Add-ons booked"),
        [_("Add-on"), _("Times")],
        [[a.name, a.times] for a in menu.addons],
    )
    tables["rooms"] = Table(
        "rooms",
        _("Use of rooms and equipment"),
        [_("Room or equipment"), _("Units"), _("Booked hours"), _("Available hours"), _("Use")],
        [
            [r.name, r.quantity, round(r.booked_minutes / 60, 1), round(r.available_minutes / 60, 1), r.occupancy]
            for r in menu.rooms
        ],
        percent=frozenset({4}),
    )
    tables["ratings"] = Table(
        "ratings",
        _("Average rating by month"),
        [_("Month"), _("Reviews"), _("Average rating")],
        [[r.month.isoformat()[:7], r.reviews, r.average] for r in report.ratings],
    )
    # The tables of one row per item: each ends in the item's gross when the report shows revenue.
    for name, items in (
        ("daily", report.daily),
        ("members", report.members),
        ("services", report.services),
        ("options", menu.options),
        ("addons", menu.addons),
    ):
        tables[name] = _gross_last(report, items, tables[name])
    return tables


def market_tables(report: MarketReport) -> dict[str, Table]:
    listings = report.listings
    tables = {
        "summary": Table(
            "summary",
            _("This period against the one before"),
            [_("Figure"), _("This period"), _("Previous period"), _("Change")],
            [
                [
                    _("Sign-ups"),
                    report.signups_total,
                    report.signups_before,
                    _change(report.signups_total, report.signups_before),
                ],
                [
                    _("Listings submitted"),
                    listings.submitted,
                    listings.submitted_before,
                    _change(listings.submitted, listings.submitted_before),
                ],
                [
                    _("Listings approved"),
                    listings.approved,
                    listings.approved_before,
                    _change(listings.approved, listings.approved_before),
                ],
                [_("Listings live now"), listings.live, None, None],
                [_("Search-to-paid conversion"), report.conversion(), None, None],
            ],
            percent=frozenset({3}),
            percent_rows=frozenset({4}),
        ),
        "signups": Table(
            "signups",
            _("Sign-ups per day"),
            [_("Day"), _("Customers"), _("Venue owners")],
            [[s.day.isoformat(), s.customers, s.providers] for s in report.signups],
        ),
        "money": Table(
            "money",
            _("GMV, commission and refunds"),
            [
                _("Currency"),
                _("Bookings"),
                _("GMV"),
                _("Commission"),
                _("Refunds"),
                _("Bookings before"),
                _("GMV before"),
                _("Commission before"),
                _("Refunds before"),
                _("Bookings through venues' websites"),
                _("Gross through venues' websites"),
                _("Refunds through venues' websites"),
                _("Bookings through venues' websites before"),
                _("Gross through venues' websites before"),
            ],
            [
                [
                    m.currency,
                    m.bookings,
                    m.gmv_minor,
                    m.commission_minor,
                    m.refunds_minor,
                    m.bookings_before,
                    m.gmv_before_minor,
                    m.commission_before_minor,
                    m.refunds_before_minor,
                    m.site_bookings,
                    m.site_gross_minor,
                    m.site_refunds_minor,
                    m.site_bookings_before,
                    m.site_gross_before_minor,
                ]
                for m in report.money
            ],
            money=frozenset({2, 3, 4, 6, 7, 8, 10, 11, 13}),
        ),
        "daily": Table(
            "daily",
            _("Bookings and GMV per day"),
            [_("Day"), _("Bookings"), _("GMV")],
            [[d.day.isoformat(), d.bookings, d.gmv_minor] for d in report.daily],
            money=frozenset({2}),
        ),
        "funnel": Table(
            "funnel",
            _("From search to booking"),
            [_("Step"), _("This period"), _("Previous period"), _("Change")],
            [[step_label(s.step), s.count, s.count_before, _change(s.count, s.count_before)] for s in report.funnel],
            percent=frozenset({3}),
        ),
        "zero_searches": Table(
            "zero_searches",
            _("Top searches that found nothing"),
            [_("Search"), _("Times")],
            [[query, n] for query, n in report.zero_searches],
        ),
    }
    return tables


def step_label(step: str) -> str:
    return {
        "search": _("Searches"),
        "venue_view": _("Venue page views"),
        "cart_add": _("Cart adds"),
        "checkout": _("Checkouts"),
        "paid": _("Paid orders"),
    }[step]


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _decimal(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def is_money(table: Table, row_index: int, column: int) -> bool:
    return column in table.money or (row_index in table.money_rows and column in (1, 2))


def is_ratio(table: Table, row_index: int, column: int) -> bool:
    return column in table.percent or (row_index in table.percent_rows and column >= 1)


def to_csv(table: Table) -> str:
    """The table as CSV: money in major units with two decimals, ratios as fractions, cells a
    spreadsheet would run as formulas quoted with a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for i, row in enumerate(table.rows):
        cells = []
        for column, value in enumerate(row):
            if value is None:
                cells.append("")
            elif is_money(table, i, column):
                cells.append(_decimal(int(value)))
            elif is_ratio(table, i, column):
                cells.append(f"{value:.4f}")
            else:
                cells.append(_safe(value))
        writer.writerow(cells)
    return out.getvalue()


def cell_text(table: Table, row_index: int, column: int, value: Any, money: Callable[[int], str]) -> str:
    """A cell as the page shows it."""
    if value is None:
        return "–"
    if is_money(table, row_index, column):
        return money(int(value))
    if is_ratio(table, row_index, column):
        return f"{value * 100:+.0f}%" if column == 3 and table.headers[3] == _("Change") else f"{value * 100:.0f}%"
    return str(value)
