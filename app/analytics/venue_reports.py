"""A venue's analytics for a period against the one before it (docs/analytics.md).

``venue_report`` reads the rollups for counts, money, the weekday-and-hour grid, services and
lead time (a period's whole months from the monthly tables, its edge days from the daily
ones: app/analytics/spans.py), and the period's bookings only for its clients and, through
booking's read functions, its options, add-ons and rooms (app/analytics/menu_reports.py),
and tips per team member through tips' (app/tips/reporting.py); a fixed handful of statements
whatever the venue's size (tests/analytics/test_statements.py). Bookings, services and reviews
are read through the views their domains own (``reporting.py`` in app/booking, app/venues and app/reviews), never their
tables. ``member_id`` narrows everything to one team
member's own bookings (a practitioner's view); ``with_revenue`` False leaves money out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from app.analytics import occupancy, spans
from app.analytics.menu_reports import MenuFigures, menu_figures
from app.analytics.periods import Period
from app.booking.models import Booking
from app.booking.reporting import BOOKINGS
from app.booking.time_blocks import occurrences_query
from app.notifications.models import ReturnKind, ReturnMessage
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.reviews.reporting import REVIEWS
from app.team_schedules.service import load_schedules
from app.tips.reporting import MemberTips, tips_by_member
from app.venues.models import Venue
from app.venues.reporting import SERVICES

COUNTED = "('confirmed', 'completed', 'no_show')"  # bookings that took the time
COUNTED_OR_AHEAD = "('held', 'confirmed', 'completed', 'no_show')"  # a booking made and not (yet) cancelled
RETURN_MESSAGES = ReturnMessage.__table__.name
CUSTOMER_BOOKINGS = Booking.__table__.name  # with the customer's account (the reporting view keeps the client only)
TOP_SERVICES = 10
RATING_MONTHS = 12


@dataclass(frozen=True)
class Figures:
    """One period's totals. Bookings by channel: ``online`` through the marketplace, ``site``
    through the venue's own website (its booking button: no commission), ``desk`` at the desk."""

    online: int = 0
    desk: int = 0
    site: int = 0
    completed: int = 0
    cancelled: int = 0
    late_cancelled: int = 0
    no_shows: int = 0
    booked_minutes: int = 0
    gross_minor: int = 0
    refunds_minor: int = 0
    commission_minor: int = 0
    online_gross_minor: int = 0
    desk_gross_minor: int = 0
    site_gross_minor: int = 0
    site_commission_minor: int = 0  # always 0 (the own channel carries none); shown to prove it

    @property
    def bookings(self) -> int:
        return self.online + self.desk + self.site

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunds_minor - self.commission_minor


@dataclass(frozen=True)
class DayRow:
    day: date
    online: int
    desk: int
    site: int
    gross_minor: int


@dataclass(frozen=True)
class MemberRow(occupancy.Occupied):
    member_id: int
    name: str
    bookings: int
    booked_minutes: int
    available_minutes: int
    gross_minor: int


@dataclass(frozen=True)
class HourCell(occupancy.Occupied):
    weekday: int
    hour: int
    booked_minutes: int
    available_minutes: int


@dataclass(frozen=True)
class Clients:
    new: int = 0
    returning: int = 0
    new_returned_90: int = 0  # new clients of the period who came back within 90 days

    @property
    def retention(self) -> float | None:
        return self.new_returned_90 / self.new if self.new else None


@dataclass(frozen=True)
class ServiceRow:
    name: str
    bookings: int
    gross_minor: int


@dataclass(frozen=True)
class RatingRow:
    month: date
    reviews: int
    average: float


@dataclass(frozen=True)
class InvitationRow:
    """Invitations back of one kind sent in the period (app/notifications/return_messages.py),
    and how many were followed by a booking at the venue within ``FOLLOWED_DAYS``."""

    kind: str
    sent: int
    followed: int

    @property
    def share(self) -> float | None:
        return self.followed / self.sent if self.sent else None


FOLLOWED_DAYS = 14


@dataclass(frozen=True)
class VenueReport:
    period: Period
    previous: Period
    currency: str
    with_revenue: bool
    current: Figures
    before: Figures
    lead_hours: float | None
    lead_hours_before: float | None
    clients: Clients
    daily: list[DayRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    hours: list[HourCell] = field(default_factory=list)
    services: list[ServiceRow] = field(default_factory=list)
    ratings: list[RatingRow] = field(default_factory=list)
    menu: MenuFigures = field(default_factory=lambda: MenuFigures([], [], []))
    invitations: list[InvitationRow] = field(default_factory=list)
    tips: list[MemberTips] = field(default_factory=list)  # paid in the period, per team member (app/tips)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _scope(member_id: int | None, column: str = "team_member_id") -> str:
    return f" AND {column} = :member" if member_id is not None else ""


_CHANNELS = {"online": "online", "desk": "desk", "site": "site"}  # the rollup's channel: Figures' field


_FIGURES = (
    " channel, completed, cancelled, late_cancelled, no_shows, booked_minutes, gross_minor, refunds_minor,"
    " commission_minor, bookings FROM {table} WHERE venue_id = :venue AND currency = :currency"
)


def _figures(venue_id: int, currency: str, period: Period, member_id: int | None) -> tuple[Figures, Figures]:
    previous = period.previous()
    rows_sql, ranges = spans.union(
        "SELECT {span} AS span," + _FIGURES.replace("{table}", "analytics_venue_days") + _scope(member_id),
        "SELECT {span} AS span," + _FIGURES.replace("{table}", "analytics_venue_months") + _scope(member_id),
        [("now", period.first, period.after), ("before", previous.first, previous.after)],
    )
    rows = db.session.execute(
        text(
            "SELECT span = 'now', channel, sum(completed), sum(cancelled), sum(late_cancelled), sum(no_shows),"
            " sum(booked_minutes), sum(gross_minor), sum(refunds_minor), sum(commission_minor), sum(bookings)"
            f" FROM ({rows_sql}) r GROUP BY 1, 2"
        ),
        {"venue": venue_id, "currency": currency, "member": member_id, **ranges},
    ).all()
    parts: dict[bool, dict[str, int]] = {True: {}, False: {}}
    for now, channel, completed, cancelled, late, no_shows, minutes, gross, refunds, commission, count in rows:
        bucket = parts[bool(now)]
        if channel == "site":
            bucket["site_commission_minor"] = bucket.get("site_commission_minor", 0) + int(commission or 0)
        for name, value in (
            ("completed", completed),
            ("cancelled", cancelled),
            ("late_cancelled", late),
            ("no_shows", no_shows),
            ("booked_minutes", minutes),
            ("gross_minor", gross),
            ("refunds_minor", refunds),
            ("commission_minor", commission),
            (_CHANNELS.get(channel, "online"), count),
            (_CHANNELS.get(channel, "online") + "_gross_minor", gross),
        ):
            bucket[name] = bucket.get(name, 0) + int(value or 0)
    return Figures(**parts[True]), Figures(**parts[False])


def _daily(venue_id: int, currency: str, period: Period, member_id: int | None) -> list[DayRow]:
    rows = db.session.execute(
        text(
            "SELECT day, sum(bookings) FILTER (WHERE channel = 'online'),"
            " sum(bookings) FILTER (WHERE channel = 'desk'), sum(bookings) FILTER (WHERE channel = 'site'),"
            " sum(gross_minor) FROM analytics_venue_days WHERE venue_id = :venue AND currency = :currency"
            " AND day >= :first AND day < :after" + _scope(member_id) + " GROUP BY day"
        ),
        {"venue": venue_id, "currency": currency, "first": period.first, "after": period.after, "member": member_id},
    ).all()
    found = {day: (int(o or 0), int(d or 0), int(s or 0), int(g or 0)) for day, o, d, s, g in rows}
    return [DayRow(day, *found.get(day, (0, 0, 0, 0))) for day in period.each_day()]


def _in_period(select: str, day_table: str, month_table: str, period: Period) -> tuple[str, dict]:
    """``select`` (on a rollup table named ``{table}``) over the period's days from ``day_table``
    and its whole months from ``month_table``: spans.union's SQL and parameters."""
    return spans.union(
        select.replace("{table}", day_table),
        select.replace("{table}", month_table),
        [("now", period.first, period.after)],
    )


def _by_member(venue_id: int, currency: str, period: Period, member_id: int | None) -> dict[int, tuple[int, int, int]]:
    select = (
        "SELECT team_member_id, bookings, booked_minutes, gross_minor FROM {table} WHERE venue_id = :venue"
        " AND currency = :currency" + _scope(member_id)
    )
    rows_sql, ranges = _in_period(select, "analytics_venue_days", "analytics_venue_months", period)
    rows = db.session.execute(
        text(
            "SELECT team_member_id, sum(bookings), sum(booked_minutes), sum(gross_minor)"
            f" FROM ({rows_sql}) r GROUP BY team_member_id"
        ),
        {"venue": venue_id, "currency": currency, "member": member_id, **ranges},
    ).all()
    return {member: (int(b or 0), int(m or 0), int(g or 0)) for member, b, m, g in rows}


def _booked_by_hour(venue: Venue, period: Period, member_id: int | None) -> dict[tuple[int, int], int]:
    rows_sql, ranges = spans.union(
        "SELECT extract(isodow FROM day)::int - 1 AS weekday, hour, booked_minutes FROM analytics_venue_hours"
        " WHERE venue_id = :venue" + _scope(member_id),
        "SELECT weekday, hour, booked_minutes FROM analytics_venue_hour_months WHERE venue_id = :venue"
        + _scope(member_id),
        [("now", period.first, period.after)],
    )
    rows = db.session.execute(
        text(f"SELECT weekday, hour, sum(booked_minutes) FROM ({rows_sql}) r GROUP BY 1, 2"),
        {"venue": venue.id, "member": member_id, **ranges},
    ).all()
    return {(int(weekday), int(hour)): int(minutes or 0) for weekday, hour, minutes in rows}


def _available(venue: Venue, period: Period, zone: ZoneInfo, members: list[int]) -> tuple[occupancy.Available, int]:
    """The members' available minutes, and the venue's open minutes (its opening hours less
    closures and its own time blocks: what a room or machine could be booked)."""
    start, end = _utc(period.first, zone), _utc(period.after, zone)
    hours: dict[int, list[tuple[int, int]]] = {}
    for h in venue.opening_hours:
        hours.setdefault(h.weekday, []).append((h.opens_minute, h.closes_minute))
    closures = [(c.starts_on, c.ends_on) for c in venue.closures]
    real_members = [m for m in members if m]
    schedules = load_schedules(real_members, start, end) if real_members else {}
    found = occurrences_query([venue.id], start, end)
    blocks = [
        (member, off_from, off_until)
        for member, off_from, off_until in db.session.execute(
            db.select(found.c.member, found.c.off_from, found.c.off_until)
        )
    ]
    days = period.each_day()
    open_minutes = occupancy.available_minutes(days, zone, hours, closures, [0], {}, blocks).by_member[0]
    return occupancy.available_minutes(days, zone, hours, closures, members, schedules, blocks), open_minutes


def _lead_hours(venue_id: int, period: Period, zone: ZoneInfo, member_id: int | None) -> tuple[float | None, ...]:
    """Median hours between booking and start, this period and the one before. The venue's from
    the rollup's histogram (to within about 9%: a quarter octave); a team member's from their
    own bookings (a fifth of the venue's at most)."""
    previous = period.previous()
    if member_id is not None:
        rows = db.session.execute(
            text(
                "SELECT starts_at >= :start AS is_now, percentile_cont(0.5) WITHIN GROUP"
                f" (ORDER BY extract(epoch FROM starts_at - created_at) / 3600) FROM {BOOKINGS}"
                " WHERE venue_id = :venue AND team_member_id = :member AND starts_at >= :before"
                " AND starts_at < :end AND status NOT IN ('held', 'expired') AND moves_booking_id IS NULL GROUP BY 1"
            ),
            {
                "venue": venue_id,
                "start": _utc(period.first, zone),
                "before": _utc(previous.first, zone),
                "end": _utc(period.after, zone),
                "member": member_id,
            },
        ).all()
        found = {bool(now): max(float(hours), 0.0) for now, hours in rows if hours is not None}
        return found.get(True), found.get(False)
    rows_sql, ranges = spans.union(
        "SELECT {span} AS span, bucket, bookings FROM analytics_venue_leads WHERE venue_id = :venue",
        "SELECT {span} AS span, bucket, bookings FROM analytics_venue_lead_months WHERE venue_id = :venue",
        [("now", period.first, period.after), ("before", previous.first, previous.after)],
    )
    rows = db.session.execute(
        text(f"SELECT span = 'now', bucket, sum(bookings) FROM ({rows_sql}) r GROUP BY 1, 2 ORDER BY 1, 2"),
        {"venue": venue_id, **ranges},
    ).all()
    histograms: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    for now, bucket, count in rows:
        histograms[bool(now)].append((int(bucket), int(count)))
    return median_of(histograms[True]), median_of(histograms[False])


def median_of(histogram: list[tuple[int, int]]) -> float | None:
    """The median hours of a lead-time histogram [(bucket, count)] sorted by bucket."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    seen = 0
    for bucket, count in histogram:
        seen += count
        if seen * 2 >= total:
            return round(2 ** (bucket / 4) - 1, 1)
    return None


def _clients(venue_id: int, period: Period, zone: ZoneInfo, member_id: int | None) -> Clients:
    row = db.session.execute(
        text(
            f"WITH seen AS (SELECT DISTINCT client_id FROM {BOOKINGS} WHERE venue_id = :venue"
            f" AND starts_at >= :start AND starts_at < :end AND status IN {COUNTED} AND client_id IS NOT NULL"
            " AND moves_booking_id IS NULL" + _scope(member_id) + ")"
            " SELECT count(*) FILTER (WHERE v.first_at >= :start), count(*) FILTER (WHERE v.first_at < :start),"
            " count(*) FILTER (WHERE v.first_at >= :start AND v.second_at <= v.first_at + interval '90 days')"
            " FROM seen s JOIN analytics_client_visits v ON v.client_id = s.client_id AND v.venue_id = :venue"
        ),
        {"venue": venue_id, "start": _utc(period.first, zone), "end": _utc(period.after, zone), "member": member_id},
    ).one()
    return Clients(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def _services(venue_id: int, period: Period, member_id: int | None) -> list[ServiceRow]:
    select = "SELECT service_id, bookings, gross_minor FROM {table} WHERE venue_id = :venue" + _scope(member_id)
    rows_sql, ranges = _in_period(select, "analytics_venue_services", "analytics_venue_service_months", period)
    rows = db.session.execute(
        text(
            "SELECT s.name, sum(a.bookings) AS n, sum(a.gross_minor)"
            f" FROM ({rows_sql}) a JOIN {SERVICES} s ON s.id = a.service_id"
            " GROUP BY s.id, s.name ORDER BY n DESC, s.name LIMIT :top"
        ),
        {"venue": venue_id, "member": member_id, "top": TOP_SERVICES, **ranges},
    ).all()
    return [ServiceRow(name, int(count), int(gross or 0)) for name, count, gross in rows]


def _ratings(venue: Venue, period: Period, zone: ZoneInfo, member_id: int | None) -> list[RatingRow]:
    first_month = (period.last.replace(day=1) - timedelta(days=31 * (RATING_MONTHS - 1))).replace(day=1)
    join = f" JOIN {BOOKINGS} b ON b.id = r.booking_id AND b.team_member_id = :member" if member_id is not None else ""
    rows = db.session.execute(
        text(
            "SELECT date_trunc('month', r.created_at AT TIME ZONE :zone)::date AS month, count(*), avg(r.rating)"
            f" FROM {REVIEWS} r" + join + " WHERE r.venue_id = :venue AND r.status = 'published'"
            " AND r.created_at >= :start AND r.created_at < :end GROUP BY 1 ORDER BY 1"
        ),
        {
            "venue": venue.id,
            "zone": venue.timezone,
            "start": _utc(first_month, zone),
            "end": _utc(period.after, zone),
            "member": member_id,
        },
    ).all()
    return [RatingRow(month, int(count), round(float(average), 2)) for month, count, average in rows]


def _invitations(venue_id: int, period: Period, zone: ZoneInfo) -> list[InvitationRow]:
    """What the invitations back brought: per kind, those sent in the period and those the same
    customer followed with a booking at the venue (made, not cancelled before it happened) within
    FOLLOWED_DAYS. Every kind is listed, with zeros."""
    rows = db.session.execute(
        text(
            f"SELECT m.kind, count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM {CUSTOMER_BOOKINGS} b"
            " WHERE b.customer_id = m.customer_id AND b.venue_id = m.venue_id AND b.created_at > m.sent_at"
            f" AND b.created_at <= m.sent_at + make_interval(days => :days) AND b.status IN {COUNTED_OR_AHEAD}))"
            f" FROM {RETURN_MESSAGES} m WHERE m.venue_id = :venue AND m.sent_at >= :start AND m.sent_at < :end"
            " GROUP BY m.kind"
        ),
        {
            "venue": venue_id,
            "days": FOLLOWED_DAYS,
            "start": _utc(period.first, zone),
            "end": _utc(period.after, zone),
        },
    ).all()
    found = {kind: (int(sent), int(followed)) for kind, sent, followed in rows}
    return [InvitationRow(kind.value, *found.get(kind.value, (0, 0))) for kind in ReturnKind]


def venue_report(
    venue: Venue, period: Period, *, member_id: int | None = None, with_revenue: bool = True
) -> VenueReport:
    zone = venue_zone(venue)
    currency = venue.currency
    current, before = _figures(venue.id, currency, period, member_id)
    lead_now, lead_before = _lead_hours(venue.id, period, zone, member_id)
    team = [m for m in venue.team if member_id is None or m.id == member_id]
    member_ids = [m.id for m in team] or ([0] if member_id is None else [])
    available, open_minutes = _available(venue, period, zone, member_ids)
    by_member = _by_member(venue.id, currency, period, member_id)
    members = [
        MemberRow(
            m.id,
            m.name,
            by_member.get(m.id, (0, 0, 0))[0],
            by_member.get(m.id, (0, 0, 0))[1],
            available.by_member.get(m.id, 0),
            by_member.get(m.id, (0, 0, 0))[2] if with_revenue else 0,
        )
        for m in team
    ]
    booked = _booked_by_hour(venue, period, member_id)
    cells = sorted(set(booked) | set(available.by_hour))
    hours = [HourCell(wd, hour, booked.get((wd, hour), 0), available.by_hour.get((wd, hour), 0)) for wd, hour in cells]
    if not with_revenue:
        current = _without_money(current)
        before = _without_money(before)
    return VenueReport(
        period=period,
        previous=period.previous(),
        currency=currency,
        with_revenue=with_revenue,
        current=current,
        before=before,
        lead_hours=lead_now,
        lead_hours_before=lead_before,
        clients=_clients(venue.id, period, zone, member_id),
        daily=_daily(venue.id, currency, period, member_id),
        members=members,
        hours=hours,
        services=[
            s if with_revenue else ServiceRow(s.name, s.bookings, 0) for s in _services(venue.id, period, member_id)
        ],
        ratings=_ratings(venue, period, zone, member_id),
        menu=menu_figures(
            venue.id,
            _utc(period.first, zone),
            _utc(period.after, zone),
            open_minutes,
            member_id=member_id,
            with_revenue=with_revenue,
        ),
        invitations=_invitations(venue.id, period, zone) if member_id is None else [],
        # Tips are money: for those who see revenue; one aggregate statement (app/tips/reporting.py).
        tips=tips_by_member(venue.id, _utc(period.first, zone), _utc(period.after, zone), member_id=member_id)
        if with_revenue
        else [],
    )


def _without_money(figures: Figures) -> Figures:
    """The counts alone: every amount (a field in minor units) back to 0."""
    return Figures(**{f.name: getattr(figures, f.name) for f in fields(Figures) if not f.name.endswith("_minor")})
