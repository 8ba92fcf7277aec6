"""The daily rollups, kept fresh by a periodic job.

Triggers (migration 0059) append the venue's local day of every booking that is written, and
of the bookings of a venue transfer that is made, to ``analytics_dirty_days``. Every minute
``refresh`` takes what is queued, recounts those venue days from the bookings (one INSERT ...
SELECT) and then the marketplace's days from the venue days. Reports read the rollups, so a
change shows within a minute (the job's period) plus the job's own time. The recount reads
bookings, orders, venues and venue transfers through the views their domains own
(``reporting.py`` in app/booking, app/venues and app/payouts), never their tables.

Beside the day's totals, the job keeps each day's booked minutes by local hour
(``analytics_venue_hours``), its bookings by service (``analytics_venue_services``), a histogram
of how far ahead they were booked (``analytics_venue_leads``), and each
client's first and second visit (``analytics_client_visits``, for the clients of the days it
recounts).

What a day counts (a booking counts on the local day it starts; held and expired bookings and
a move's hold do not count):

    bookings        every other booking
    booked minutes  start to end of confirmed, completed and no-show bookings
    late cancelled  cancelled by the customer after the free-cancellation deadline
    gross           the price (less its promo share) of confirmed, completed and no-show
                    bookings, and what was paid online for cancelled ones (the fee kept)
    refunds         what was refunded for them
    commission      the paid-online part (less promo) times the venue transfer's rate, per
                    booking; bookings without a transfer (the front desk) and bookings through
                    the venue's own website (channel 'site') carry none

Each day is split by channel: 'online' (the marketplace), 'site' (the venue's own booking
button, orders.channel 'venue_site') and 'desk' (walk-ins and phone bookings).

Beside the days, the same job keeps monthly rollups (``analytics_venue_months`` and the
``*_months`` tables of hours by weekday, services and lead times): each month a recounted day
falls in is summed again from its days, so a report over a long period reads its whole months
from there and only its edge days from the daily rows (app/analytics/spans.py).
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import text

from app.booking.reporting import BOOKINGS, ORDERS
from app.payouts.reporting import VENUE_TRANSFERS
from app.platform.extensions import db
from app.platform.jobs import job
from app.venues.reporting import VENUES
from app.venues.slugs import find_venue_by_any_slug

BATCH = 5000  # queue rows a run takes at most; the rest wait for the next minute
LOCK = 59_0001  # an advisory lock: two runs never recount the same days at once

_TAKE = text(
    """
    WITH taken AS (
        DELETE FROM analytics_dirty_days WHERE id IN (
            SELECT id FROM analytics_dirty_days ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED
        ) RETURNING venue_id, day
    )
    SELECT DISTINCT venue_id, day FROM taken
    """
)

_FORGET_VENUE_DAYS = text(
    """
    DELETE FROM analytics_venue_days a USING unnest(CAST(:venues AS int[]), CAST(:days AS date[])) AS p(venue_id, day)
    WHERE a.venue_id = p.venue_id AND a.day = p.day
    """
)

# The rollup's channel: 'desk' (the front desk), 'site' (an online booking whose order came
# through the venue's own booking button, orders.channel 'venue_site') or 'online' (the
# marketplace's cart and checkout).
CHANNEL = "CASE WHEN b.channel = 'online' AND o.channel = 'venue_site' THEN 'site' ELSE b.channel END"

_COUNT_VENUE_DAYS = text(
    f"""
    INSERT INTO analytics_venue_days (venue_id, day, team_member_id, channel, currency, bookings, completed,
        cancelled, late_cancelled, no_shows, booked_minutes, gross_minor, refunds_minor, commission_minor)
    SELECT b.venue_id, p.day, coalesce(b.team_member_id, 0), {CHANNEL}, b.currency,
        count(*),
        count(*) FILTER (WHERE b.status = 'completed'),
        count(*) FILTER (WHERE b.status IN ('cancelled_by_customer', 'cancelled_by_venue')),
        count(*) FILTER (WHERE b.status = 'cancelled_by_customer'
                         AND b.cancelled_at > b.starts_at - make_interval(hours => b.cancel_free_hours)),
        count(*) FILTER (WHERE b.status = 'no_show'),
        coalesce(sum(extract(epoch FROM b.ends_at - b.starts_at) / 60)
                 FILTER (WHERE b.status IN ('confirmed', 'completed', 'no_show')), 0)::int,
        sum(CASE WHEN b.status IN ('confirmed', 'completed', 'no_show')
                 THEN b.unit_price_minor * b.quantity - b.promo_discount_minor
                 WHEN o.paid_at IS NOT NULL THEN b.online_minor - b.promo_discount_minor
                 ELSE 0 END),
        sum(b.refund_minor),
        sum(CASE WHEN t.bp IS NULL OR o.channel = 'venue_site' THEN 0
                 ELSE (b.online_minor - b.promo_discount_minor) * t.bp / 10000 END)
    FROM unnest(CAST(:venues AS int[]), CAST(:days AS date[])) AS p(venue_id, day)
    JOIN {VENUES} v ON v.id = p.venue_id
    JOIN {BOOKINGS} b ON b.venue_id = v.id
        AND b.starts_at >= (p.day::timestamp AT TIME ZONE v.timezone)
        AND b.starts_at < ((p.day + 1)::timestamp AT TIME ZONE v.timezone)
    JOIN {ORDERS} o ON o.id = b.order_id
    LEFT JOIN LATERAL (
        SELECT max(vt.commission_bp) AS bp FROM {VENUE_TRANSFERS} vt
        WHERE vt.order_id = b.order_id AND vt.venue_id = b.venue_id
    ) t ON true
    WHERE b.status NOT IN ('held', 'expired') AND b.moves_booking_id IS NULL
    GROUP BY b.venue_id, p.day, coalesce(b.team_member_id, 0), {CHANNEL}, b.currency
    """
)

_PAIRS = "unnest(CAST(:venues AS int[]), CAST(:days AS date[])) AS p(venue_id, day)"
_DAY_BOOKINGS = (
    f"JOIN {VENUES} v ON v.id = p.venue_id JOIN {BOOKINGS} b ON b.venue_id = v.id"
    " AND b.starts_at >= (p.day::timestamp AT TIME ZONE v.timezone)"
    " AND b.starts_at < ((p.day + 1)::timestamp AT TIME ZONE v.timezone)"
)
COUNTED = "b.status IN ('confirmed', 'completed', 'no_show') AND b.moves_booking_id IS NULL"

_FORGET_HOURS = text(
    f"DELETE FROM analytics_venue_hours a USING {_PAIRS} WHERE a.venue_id = p.venue_id AND a.day = p.day"
)
# Each booking's minutes by local hour, on the day it starts (a booking past midnight keeps
# only its first day's minutes).
_COUNT_HOURS = text(
    f"""
    INSERT INTO analytics_venue_hours (venue_id, day, team_member_id, hour, booked_minutes)
    SELECT b.venue_id, p.day, coalesce(b.team_member_id, 0), extract(hour FROM h.at)::int,
        sum(extract(epoch FROM least(l.ends, h.at + interval '1 hour') - greatest(l.starts, h.at)) / 60)::int
    FROM {_PAIRS} {_DAY_BOOKINGS}
    CROSS JOIN LATERAL (SELECT b.starts_at AT TIME ZONE v.timezone AS starts,
                               b.ends_at AT TIME ZONE v.timezone AS ends) l
    CROSS JOIN LATERAL generate_series(date_trunc('hour', l.starts), l.ends - interval '1 second',
                                       interval '1 hour') AS h(at)
    WHERE {COUNTED} AND h.at::date = p.day
    GROUP BY 1, 2, 3, 4
    """
)
_FORGET_SERVICES = text(
    f"DELETE FROM analytics_venue_services a USING {_PAIRS} WHERE a.venue_id = p.venue_id AND a.day = p.day"
)
_COUNT_SERVICES = text(
    f"""
    INSERT INTO analytics_venue_services (venue_id, day, team_member_id, service_id, bookings, gross_minor)
    SELECT b.venue_id, p.day, coalesce(b.team_member_id, 0), b.service_id, count(*),
        sum(b.unit_price_minor * b.quantity - b.promo_discount_minor)
    FROM {_PAIRS} {_DAY_BOOKINGS}
    WHERE {COUNTED}
    GROUP BY 1, 2, 3, 4
    """
)
_FORGET_LEADS = text(
    f"DELETE FROM analytics_venue_leads a USING {_PAIRS} WHERE a.venue_id = p.venue_id AND a.day = p.day"
)
_COUNT_LEADS = text(
    f"""
    INSERT INTO analytics_venue_leads (venue_id, day, bucket, bookings)
    SELECT b.venue_id, p.day,
        round(4 * ln(1 + greatest(extract(epoch FROM b.starts_at - b.created_at)::float8 / 3600, 0)) / ln(2))::int,
        count(*)
    FROM {_PAIRS} {_DAY_BOOKINGS}
    WHERE b.status NOT IN ('held', 'expired') AND b.moves_booking_id IS NULL
    GROUP BY 1, 2, 3
    """
)
_TOUCHED_CLIENTS = text(f"SELECT DISTINCT b.client_id FROM {_PAIRS} {_DAY_BOOKINGS} WHERE b.client_id IS NOT NULL")
_COUNT_VISITS = text(
    f"""
    INSERT INTO analytics_client_visits (client_id, venue_id, first_at, second_at)
    SELECT client_id, min(venue_id), min(starts_at) FILTER (WHERE rn = 1), min(starts_at) FILTER (WHERE rn = 2)
    FROM (
        SELECT b.client_id, b.venue_id, b.starts_at,
            row_number() OVER (PARTITION BY b.client_id ORDER BY b.starts_at) AS rn
        FROM {BOOKINGS} b WHERE b.client_id = ANY(CAST(:clients AS int[])) AND {COUNTED}
    ) ranked
    WHERE rn <= 2
    GROUP BY client_id
    ON CONFLICT (client_id) DO UPDATE SET first_at = EXCLUDED.first_at, second_at = EXCLUDED.second_at
    """
)
_FORGET_VISITS = text(
    f"""
    DELETE FROM analytics_client_visits c WHERE c.client_id = ANY(CAST(:clients AS int[]))
    AND NOT EXISTS (SELECT 1 FROM {BOOKINGS} b WHERE b.client_id = c.client_id AND {COUNTED})
    """
)

_FORGET_MARKET_DAYS = text("DELETE FROM analytics_market_days WHERE day = ANY(CAST(:days AS date[]))")

# The marketplace's own bookings apart from those venues took through their own website
# ('site', no commission), as the venue report shows them.
_COUNT_MARKET_DAYS = text(
    """
    INSERT INTO analytics_market_days (day, currency, bookings, gmv_minor, refunds_minor, commission_minor,
        site_bookings, site_gross_minor, site_refunds_minor)
    SELECT day, currency,
        coalesce(sum(bookings) FILTER (WHERE channel <> 'site'), 0),
        coalesce(sum(gross_minor) FILTER (WHERE channel <> 'site'), 0),
        coalesce(sum(refunds_minor) FILTER (WHERE channel <> 'site'), 0),
        coalesce(sum(commission_minor) FILTER (WHERE channel <> 'site'), 0),
        coalesce(sum(bookings) FILTER (WHERE channel = 'site'), 0),
        coalesce(sum(gross_minor) FILTER (WHERE channel = 'site'), 0),
        coalesce(sum(refunds_minor) FILTER (WHERE channel = 'site'), 0)
    FROM analytics_venue_days WHERE day = ANY(CAST(:days AS date[]))
    GROUP BY day, currency
    """
)

# The monthly rollups (migration 0065): each (venue, month) a recounted day falls in is summed
# again from its daily rows, so the months are as fresh as the days.
_MONTH_PAIRS = "unnest(CAST(:venues AS int[]), CAST(:months AS date[])) AS p(venue_id, month)"
_IN_MONTH = "a.venue_id = p.venue_id AND a.day >= p.month AND a.day < (p.month + interval '1 month')::date"
MONTH_SUMS = (
    (
        "analytics_venue_months",
        "INSERT INTO analytics_venue_months (venue_id, month, team_member_id, channel, currency, bookings,"
        " completed, cancelled, late_cancelled, no_shows, booked_minutes, gross_minor, refunds_minor,"
        " commission_minor) SELECT a.venue_id, p.month, a.team_member_id, a.channel, a.currency, sum(a.bookings),"
        " sum(a.completed), sum(a.cancelled), sum(a.late_cancelled), sum(a.no_shows), sum(a.booked_minutes),"
        " sum(a.gross_minor), sum(a.refunds_minor), sum(a.commission_minor)"
        f" FROM {_MONTH_PAIRS} JOIN analytics_venue_days a ON {_IN_MONTH} GROUP BY 1, 2, 3, 4, 5",
    ),
    (
        "analytics_venue_hour_months",
        "INSERT INTO analytics_venue_hour_months (venue_id, month, team_member_id, weekday, hour, booked_minutes)"
        " SELECT a.venue_id, p.month, a.team_member_id, extract(isodow FROM a.day)::int - 1, a.hour,"
        f" sum(a.booked_minutes) FROM {_MONTH_PAIRS} JOIN analytics_venue_hours a ON {_IN_MONTH}"
        " GROUP BY 1, 2, 3, 4, 5",
    ),
    (
        "analytics_venue_service_months",
        "INSERT INTO analytics_venue_service_months (venue_id, month, team_member_id, service_id, bookings,"
        " gross_minor) SELECT a.venue_id, p.month, a.team_member_id, a.service_id, sum(a.bookings),"
        f" sum(a.gross_minor) FROM {_MONTH_PAIRS} JOIN analytics_venue_services a ON {_IN_MONTH}"
        " GROUP BY 1, 2, 3, 4",
    ),
    (
        "analytics_venue_lead_months",
        "INSERT INTO analytics_venue_lead_months (venue_id, month, bucket, bookings)"
        " SELECT a.venue_id, p.month, a.bucket, sum(a.bookings)"
        f" FROM {_MONTH_PAIRS} JOIN analytics_venue_leads a ON {_IN_MONTH} GROUP BY 1, 2, 3",
    ),
)
_MONTH_STATEMENTS = [
    (
        text(f"DELETE FROM {table} a USING {_MONTH_PAIRS} WHERE a.venue_id = p.venue_id AND a.month = p.month"),
        text(count),
    )
    for table, count in MONTH_SUMS
]


def recount_months(pairs: list[tuple[int, date]]) -> None:
    """Sum again the monthly rows of the (venue id, month) of these (venue id, day) pairs."""
    months = sorted({(venue_id, day.replace(day=1)) for venue_id, day in pairs})
    if not months:
        return
    params = {"venues": [venue_id for venue_id, _ in months], "months": [month for _, month in months]}
    for forget, count in _MONTH_STATEMENTS:
        db.session.execute(forget, params)
        db.session.execute(count, params)


def probe_venue_id() -> int | None:
    """The synthetic probe's venue (PROBE_VENUE_SLUG, docs/synthetic-probe.md): its bookings are
    the probe's own, booked and cancelled every few minutes, and count in no report."""
    slug = current_app.config.get("PROBE_VENUE_SLUG")
    venue = find_venue_by_any_slug(slug) if slug else None
    return venue.id if venue is not None and venue.slug == slug else None


def recount(pairs: list[tuple[int, date]]) -> None:
    """Rebuild the rollup rows of these (venue id, local day) pairs and of their days. The probe
    venue's days are forgotten and never counted again."""
    if not pairs:
        return
    venues = [venue_id for venue_id, _ in pairs]
    days = [day for _, day in pairs]
    probe = probe_venue_id()
    counted = {
        "venues": [venue_id for venue_id, _ in pairs if venue_id != probe],
        "days": [day for venue_id, day in pairs if venue_id != probe],
    }
    session = db.session
    session.execute(_FORGET_VENUE_DAYS, {"venues": venues, "days": days})
    session.execute(_COUNT_VENUE_DAYS, counted)
    for forget, count in (
        (_FORGET_HOURS, _COUNT_HOURS),
        (_FORGET_SERVICES, _COUNT_SERVICES),
        (_FORGET_LEADS, _COUNT_LEADS),
    ):
        session.execute(forget, {"venues": venues, "days": days})
        session.execute(count, counted)
    clients = session.execute(_TOUCHED_CLIENTS, {"venues": venues, "days": days}).scalars().all()
    if clients:
        session.execute(_FORGET_VISITS, {"clients": list(clients)})
        session.execute(_COUNT_VISITS, {"clients": list(clients)})
    recount_months(pairs)
    distinct_days = sorted(set(days))
    session.execute(_FORGET_MARKET_DAYS, {"days": distinct_days})
    session.execute(_COUNT_MARKET_DAYS, {"days": distinct_days})


def refresh(batch: int = BATCH) -> int:
    """Recount the queued venue days (at most ``batch`` queue rows); how many days were
    recounted. The caller commits. Waits for a run in progress rather than doubling it."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
    pairs = [(venue_id, day) for venue_id, day in db.session.execute(_TAKE, {"batch": batch})]
    recount(pairs)
    return len(pairs)


def rebuild_all() -> int:
    """Queue every venue day that has bookings (after a change to what a day counts), then
    recount them all; the caller commits."""
    db.session.execute(
        text(
            "INSERT INTO analytics_dirty_days (venue_id, day) SELECT DISTINCT b.venue_id, "
            f"(b.starts_at AT TIME ZONE v.timezone)::date FROM {BOOKINGS} b JOIN {VENUES} v ON v.id = b.venue_id"
        )
    )
    total = 0
    while found := refresh():
        total += found
    return total


@job(name="analytics.refresh_rollup")
def refresh_rollup_job(timestamp: int | None = None) -> None:
    while refresh():
        db.session.commit()
    db.session.commit()
