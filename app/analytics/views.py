"""Analytics pages: the venue's (/provider/analytics, on the dashboard blueprint) and the
marketplace's (/admin/analytics), each with a CSV of every table (?table=NAME), and the hook
that counts the search-to-booking funnel on every response (cached pages included).

Who sees what in the provider area (docs/analytics.md): the owner and managers everything;
receptionists every count but no money; a practitioner only their own bookings, occupancy and
clients, and no money.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Response, abort, current_app, make_response, request
from flask_babel import gettext as _

from app.accounts.access import role_required
from app.analytics import funnel
from app.analytics.charts import MONEY, PERCENT, Series, bar_chart, line_chart
from app.analytics.market_reports import market_report
from app.analytics.periods import PRESETS, Period, choose
from app.analytics.tables import (
    MARKET_TABLES,
    VENUE_TABLES,
    Table,
    cell_text,
    market_tables,
    to_csv,
    venue_tables,
    weekday_names,
)
from app.analytics.venue_reports import venue_report
from app.ops.errors import render_error
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import venue_zone
from app.venues.models import Venue
from app.web.blueprints import admin as admin_bp
from app.web.blueprints import dashboard as bp
from app.web.guards import EVERYONE, OWNER_AND_MANAGER, acting_member_scope, acting_role, venue_required
from app.web.rendering import is_htmx, render_page
from app.web.unit_of_work import on_refusal

log = logging.getLogger(__name__)


def _period(today) -> Period:
    """The period the URL asks for; one that makes no sense is a 400 with its message."""
    on_refusal(lambda refusal: render_error(400, refusal.message))
    return choose(request.args.get("preset"), request.args.get("from"), request.args.get("to"), today=today)


def _period_args(period: Period) -> dict[str, str]:
    if period.preset:
        return {"preset": period.preset}
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


def _csv(table: Table, filename: str) -> Response:
    response = make_response(to_csv(table))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export_redirect() -> Response:
    """An export asked by HTMX (the link's indicator spins meanwhile): the browser is sent to
    the same URL as a plain download."""
    response = make_response("", 204)
    response.headers["HX-Redirect"] = request.full_path
    return response


def _short_day(day) -> str:
    return day.strftime("%d.%m")


# -- the venue's analytics -------------------------------------------------------------------


def _venue_charts(report, tables: dict[str, Table]) -> dict:
    labels = [_short_day(d.day) for d in report.daily]
    daily = bar_chart(
        "chart-daily",
        _("Bookings per day"),
        _("Online, own-website and walk-in bookings per day; the table below has the numbers."),
        labels,
        [
            Series(_("Online"), [d.online for d in report.daily], "chart-a"),
            Series(_("Your website"), [d.site for d in report.daily], "chart-c"),
            Series(_("Desk"), [d.desk for d in report.daily], "chart-b"),
        ],
    )
    members = bar_chart(
        "chart-members",
        _("Occupancy by team member"),
        _("Booked hours over available hours, per team member, in percent."),
        [m.name for m in report.members],
        [Series(_("Occupancy"), [m.occupancy or 0 for m in report.members], "chart-a")],
        PERCENT,
    )
    ratings = line_chart(
        "chart-ratings",
        _("Average rating by month"),
        _("The average of the month's published reviews, out of 5."),
        [r.month.isoformat()[:7] for r in report.ratings],
        [r.average for r in report.ratings],
        top=5.0,
    )
    return {"daily": daily, "members": members, "ratings": ratings}


def _hour_grid(report) -> dict:
    """The weekday x hour table: the hours anyone was available or booked, with a level 0-4."""
    hours = sorted({c.hour for c in report.hours})
    cells = {(c.weekday, c.hour): c for c in report.hours}
    rows = []
    for weekday in range(7):
        row = []
        for hour in hours:
            cell = cells.get((weekday, hour))
            value = cell.occupancy if cell is not None else None
            level = 0 if value is None else min(4, int(value * 4) + (1 if value > 0 else 0))
            row.append({"value": value, "level": level})
        rows.append(row)
    return {"hours": hours, "rows": rows}


@bp.get("/analytics")
@venue_required(roles=EVERYONE)
def analytics(venue: Venue) -> Response:
    today = datetime.now(venue_zone(venue)).date()
    period = _period(today)
    with_revenue = acting_role() in OWNER_AND_MANAGER
    report = venue_report(venue, period, member_id=acting_member_scope(), with_revenue=with_revenue)
    tables = venue_tables(report)
    return render_page(
        "analytics/venue.html",
        "analytics_body",
        venue=venue,
        report=report,
        tables=tables,
        charts=_venue_charts(report, tables),
        grid=_hour_grid(report),
        presets=PRESETS,
        period_args=_period_args(period),
        own_only=acting_member_scope() is not None,
        weekday_names=weekday_names(),
        cell=lambda table, i, c, value: cell_text(table, i, c, value, lambda m: format_money(m, report.currency)),
        csv_endpoint="venues_dashboard.analytics_csv",
        page_endpoint="venues_dashboard.analytics",
    )


@bp.get("/analytics.csv")
@venue_required(roles=EVERYONE)
def analytics_csv(venue: Venue) -> Response:
    name = request.args.get("table", "")
    if name not in VENUE_TABLES:
        abort(404)
    period = _period(datetime.now(venue_zone(venue)).date())
    if is_htmx():
        return _export_redirect()
    report = venue_report(
        venue, period, member_id=acting_member_scope(), with_revenue=acting_role() in OWNER_AND_MANAGER
    )
    filename = f"analytics-{venue.slug}-{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return _csv(venue_tables(report)[name], filename)


# -- the marketplace's analytics -------------------------------------------------------------


@admin_bp.get("/analytics")
@role_required("admin")
def market_analytics() -> Response:
    period = _period(datetime.now(UTC).date())
    report = market_report(period)
    tables = market_tables(report)
    currency = report.daily_currency or ""
    labels = [_short_day(d.day) for d in report.daily]
    charts = {
        "signups": bar_chart(
            "chart-signups",
            _("Sign-ups per day"),
            _("Customers and venue owners who signed up each day."),
            [_short_day(s.day) for s in report.signups],
            [
                Series(_("Customers"), [s.customers for s in report.signups], "chart-a"),
                Series(_("Venue owners"), [s.providers for s in report.signups], "chart-b"),
            ],
        ),
        "daily": bar_chart(
            "chart-gmv",
            _("GMV per day"),
            _("Gross merchandise value of each day's bookings, in %(currency)s.", currency=currency),
            labels,
            [Series(_("GMV"), [d.gmv_minor / 100 for d in report.daily], "chart-a")],
            MONEY,
        ),
        "funnel": bar_chart(
            "chart-funnel",
            _("From search to booking"),
            _("How many times each step happened in the period."),
            [tables["funnel"].rows[i][0] for i in range(len(report.funnel))],
            [Series(_("This period"), [s.count for s in report.funnel], "chart-a")],
        ),
    }
    return render_page(
        "analytics/market.html",
        "analytics_body",
        report=report,
        tables=tables,
        charts=charts,
        presets=PRESETS,
        period_args=_period_args(period),
        cell=lambda table, i, c, value: cell_text(
            table, i, c, value, lambda m: format_money(m, table.rows[i][0] if table.name == "money" else currency)
        ),
        csv_endpoint="admin.market_analytics_csv",
        page_endpoint="admin.market_analytics",
    )


@admin_bp.get("/analytics.csv")
@role_required("admin")
def market_analytics_csv() -> Response:
    name = request.args.get("table", "")
    if name not in MARKET_TABLES:
        abort(404)
    period = _period(datetime.now(UTC).date())
    if is_htmx():
        return _export_redirect()
    filename = f"marketplace-{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return _csv(market_tables(market_report(period))[name], filename)


# -- the funnel's counting -------------------------------------------------------------------

SEARCH_ENDPOINTS = frozenset({"discovery.search", "discovery.category"})


@admin_bp.after_app_request
def count_funnel(response: Response) -> Response:
    """Count a funnel step from the response (cached pages too: this runs on page cache hits),
    in memory; write the counts when due. Never fails the request."""
    try:
        _count_step(response)
        every = current_app.config["ANALYTICS_FLUSH_SECONDS"]
        if funnel.flush_due(every):
            with db.engine.begin() as connection:
                funnel.flush(connection)
    except Exception:
        log.warning("analytics: the funnel count was not written", exc_info=True)
    return response


def _count_step(response: Response) -> None:
    endpoint, status = request.endpoint, response.status_code
    if request.method == "GET" and status in (200, 304):
        if endpoint in SEARCH_ENDPOINTS:
            funnel.count("search")
            if response.headers.get("X-Search-Total") == "0":
                funnel.count_zero_search(request.args.get("q", ""))
        elif endpoint == "venues_public.venue_page" and not is_htmx():
            funnel.count("venue_view")
    elif request.method == "POST":
        if endpoint == "booking.add_to_cart" and status < 400:
            funnel.count("cart_add")
        elif endpoint == "booking.checkout" and status == 303 and "/orders/" in (response.location or ""):
            funnel.count("checkout")
