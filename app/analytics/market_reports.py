"""The marketplace's analytics for admins over a period (UTC days) against the one before it
(docs/analytics.md): sign-ups, listings, money from the daily rollup (the marketplace's own
bookings apart from those venues took through their own website), the search funnel and the
searches that found nothing. A handful of statements whatever the marketplace's size. Accounts
and venues are read through the views those domains own (``reporting.py`` in app/accounts and
app/venues), never their tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import text

from app.accounts.reporting import USERS
from app.analytics.models import FUNNEL_STEPS
from app.analytics.periods import Period
from app.platform.extensions import db
from app.venues.reporting import VENUES

TOP_ZERO = 20


@dataclass(frozen=True)
class MoneyRow:
    currency: str
    bookings: int
    gmv_minor: int
    commission_minor: int
    refunds_minor: int
    bookings_before: int
    gmv_before_minor: int
    commission_before_minor: int
    refunds_before_minor: int
    # Bookings venues took through their own website (orders.channel 'venue_site'): not in the
    # figures above, and no commission.
    site_bookings: int = 0
    site_gross_minor: int = 0
    site_refunds_minor: int = 0
    site_bookings_before: int = 0
    site_gross_before_minor: int = 0


@dataclass(frozen=True)
class DaySignups:
    day: date
    customers: int
    providers: int


@dataclass(frozen=True)
class Listings:
    submitted: int
    approved: int
    live: int
    submitted_before: int
    approved_before: int


@dataclass(frozen=True)
class FunnelStep:
    step: str
    count: int
    count_before: int


@dataclass(frozen=True)
class MarketDayRow:
    day: date
    bookings: int
    gmv_minor: int


@dataclass(frozen=True)
class MarketReport:
    period: Period
    previous: Period
    signups: list[DaySignups]
    signups_total: int
    signups_before: int
    listings: Listings
    money: list[MoneyRow]
    daily: list[MarketDayRow]
    daily_currency: str | None
    funnel: list[FunnelStep]
    zero_searches: list[tuple[str, int]] = field(default_factory=list)

    def conversion(self) -> float | None:
        """Paid orders over searches in the period."""
        counts = {s.step: s.count for s in self.funnel}
        return counts["paid"] / counts["search"] if counts.get("search") else None


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def market_report(period: Period) -> MarketReport:
    previous = period.previous()
    bounds = {
        "first": period.first,
        "before": previous.first,
        "after": period.after,
        "start": _utc(period.first),
        "start_before": _utc(previous.first),
        "end": _utc(period.after),
    }
    session = db.session
    signup_rows = session.execute(
        text(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) FILTER (WHERE role = 'customer'),"
            f" count(*) FILTER (WHERE role = 'provider'), created_at >= :start AS is_now FROM {USERS}"
            " WHERE created_at >= :start_before AND created_at < :end GROUP BY 1, 4"
        ),
        bounds,
    ).all()
    by_day = {day: (int(c), int(p)) for day, c, p, is_now in signup_rows if is_now}
    signups = [DaySignups(day, *by_day.get(day, (0, 0))) for day in period.each_day()]
    signups_before = sum(int(c) + int(p) for _, c, p, is_now in signup_rows if not is_now)
    listing = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE submitted_at >= :start AND submitted_at < :end),"
            " count(*) FILTER (WHERE approved_at >= :start AND approved_at < :end),"
            " count(*) FILTER (WHERE status = 'approved'),"
            " count(*) FILTER (WHERE submitted_at >= :start_before AND submitted_at < :start),"
            f" count(*) FILTER (WHERE approved_at >= :start_before AND approved_at < :start) FROM {VENUES}"
        ),
        bounds,
    ).one()
    money_rows = session.execute(
        text(
            "SELECT currency, day >= :first AS is_now, day, bookings, gmv_minor, commission_minor, refunds_minor,"
            " site_bookings, site_gross_minor, site_refunds_minor"
            " FROM analytics_market_days WHERE day >= :before AND day < :after"
        ),
        bounds,
    ).all()
    totals: dict[str, list[int]] = {}
    sites: dict[str, list[int]] = {}
    daily_by_currency: dict[str, dict[date, tuple[int, int]]] = {}
    for currency, is_now, day, bookings, gmv, commission, refunds, site_n, site_gross, site_refunds in money_rows:
        row = totals.setdefault(currency, [0] * 8)
        site = sites.setdefault(currency, [0] * 5)
        offset = 0 if is_now else 4
        for i, value in enumerate((bookings, gmv, commission, refunds)):
            row[offset + i] += int(value)
        if is_now:
            site[0] += int(site_n)
            site[1] += int(site_gross)
            site[2] += int(site_refunds)
            daily_by_currency.setdefault(currency, {})[day] = (int(bookings), int(gmv))
        else:
            site[3] += int(site_n)
            site[4] += int(site_gross)
    money = sorted(
        (MoneyRow(currency, *values, *sites[currency]) for currency, values in totals.items()),
        key=lambda m: -m.gmv_minor,
    )
    main = money[0].currency if money else None
    main_days = daily_by_currency.get(main, {}) if main else {}
    daily = [MarketDayRow(day, *main_days.get(day, (0, 0))) for day in period.each_day()]
    funnel_rows = session.execute(
        text(
            "SELECT step, sum(count) FILTER (WHERE day >= :first), sum(count) FILTER (WHERE day < :first)"
            " FROM analytics_funnel_days WHERE day >= :before AND day < :after GROUP BY step"
        ),
        bounds,
    ).all()
    counted = {step: (int(now or 0), int(before or 0)) for step, now, before in funnel_rows}
    funnel = [FunnelStep(step, *counted.get(step, (0, 0))) for step in FUNNEL_STEPS]
    zero = session.execute(
        text(
            "SELECT query, sum(count) AS n FROM analytics_zero_searches WHERE day >= :first AND day < :after"
            " GROUP BY query ORDER BY n DESC, query LIMIT :top"
        ),
        {**bounds, "top": TOP_ZERO},
    ).all()
    return MarketReport(
        period=period,
        previous=previous,
        signups=signups,
        signups_total=sum(s.customers + s.providers for s in signups),
        signups_before=signups_before,
        listings=Listings(*(int(v or 0) for v in listing)),
        money=money,
        daily=daily,
        daily_currency=main,
        funnel=funnel,
        zero_searches=[(query, int(n)) for query, n in zero],
    )
