"""Analytics: monthly rollups beside the daily ones (a long period reads its whole months from
them, its edge days from the days), and the marketplace's day split into its own bookings and
those venues took through their own website (``site_`` columns, no commission).

The new tables are filled from the daily rollups; the marketplace's days are summed again from
the venue days (they are derived data, a row per day and currency).

Revision ID: 0065
Revises: 0064
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None

FILL_MONTHS = """
INSERT INTO analytics_venue_months (venue_id, month, team_member_id, channel, currency, bookings, completed,
    cancelled, late_cancelled, no_shows, booked_minutes, gross_minor, refunds_minor, commission_minor)
SELECT venue_id, date_trunc('month', day)::date, team_member_id, channel, currency, sum(bookings), sum(completed),
    sum(cancelled), sum(late_cancelled), sum(no_shows), sum(booked_minutes), sum(gross_minor), sum(refunds_minor),
    sum(commission_minor)
FROM analytics_venue_days GROUP BY 1, 2, 3, 4, 5
"""
FILL_HOUR_MONTHS = """
INSERT INTO analytics_venue_hour_months (venue_id, month, team_member_id, weekday, hour, booked_minutes)
SELECT venue_id, date_trunc('month', day)::date, team_member_id, extract(isodow FROM day)::int - 1, hour,
    sum(booked_minutes)
FROM analytics_venue_hours GROUP BY 1, 2, 3, 4, 5
"""
FILL_SERVICE_MONTHS = """
INSERT INTO analytics_venue_service_months (venue_id, month, team_member_id, service_id, bookings, gross_minor)
SELECT venue_id, date_trunc('month', day)::date, team_member_id, service_id, sum(bookings), sum(gross_minor)
FROM analytics_venue_services GROUP BY 1, 2, 3, 4
"""
FILL_LEAD_MONTHS = """
INSERT INTO analytics_venue_lead_months (venue_id, month, bucket, bookings)
SELECT venue_id, date_trunc('month', day)::date, bucket, sum(bookings)
FROM analytics_venue_leads GROUP BY 1, 2, 3
"""
SPLIT_MARKET_DAYS = """
UPDATE analytics_market_days m SET bookings = s.bookings, gmv_minor = s.gross, refunds_minor = s.refunds,
    commission_minor = s.commission, site_bookings = s.site_bookings, site_gross_minor = s.site_gross,
    site_refunds_minor = s.site_refunds
FROM (
    SELECT day, currency,
        coalesce(sum(bookings) FILTER (WHERE channel <> 'site'), 0) AS bookings,
        coalesce(sum(gross_minor) FILTER (WHERE channel <> 'site'), 0) AS gross,
        coalesce(sum(refunds_minor) FILTER (WHERE channel <> 'site'), 0) AS refunds,
        coalesce(sum(commission_minor) FILTER (WHERE channel <> 'site'), 0) AS commission,
        coalesce(sum(bookings) FILTER (WHERE channel = 'site'), 0) AS site_bookings,
        coalesce(sum(gross_minor) FILTER (WHERE channel = 'site'), 0) AS site_gross,
        coalesce(sum(refunds_minor) FILTER (WHERE channel = 'site'), 0) AS site_refunds
    FROM analytics_venue_days GROUP BY day, currency
) s
WHERE m.day = s.day AND m.currency = s.currency
"""
UNSPLIT_MARKET_DAYS = """
UPDATE analytics_market_days SET bookings = bookings + site_bookings, gmv_minor = gmv_minor + site_gross_minor,
    refunds_minor = refunds_minor + site_refunds_minor
"""


def _venue_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["venue_id"], ["venues.id"], name=op.f(f"fk_{table}_venue_id_venues"), ondelete="CASCADE"
    )


def upgrade():
    op.create_table(
        "analytics_venue_months",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("late_cancelled", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("booked_minutes", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunds_minor", sa.BigInteger(), nullable=False),
        sa.Column("commission_minor", sa.BigInteger(), nullable=False),
        _venue_fk("analytics_venue_months"),
        sa.PrimaryKeyConstraint(
            "venue_id", "month", "team_member_id", "channel", "currency", name=op.f("pk_analytics_venue_months")
        ),
    )
    op.create_table(
        "analytics_venue_hour_months",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("booked_minutes", sa.Integer(), nullable=False),
        _venue_fk("analytics_venue_hour_months"),
        sa.PrimaryKeyConstraint(
            "venue_id", "month", "team_member_id", "weekday", "hour", name=op.f("pk_analytics_venue_hour_months")
        ),
    )
    op.create_table(
        "analytics_venue_service_months",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        _venue_fk("analytics_venue_service_months"),
        sa.PrimaryKeyConstraint(
            "venue_id", "month", "team_member_id", "service_id", name=op.f("pk_analytics_venue_service_months")
        ),
    )
    op.create_table(
        "analytics_venue_lead_months",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        _venue_fk("analytics_venue_lead_months"),
        sa.PrimaryKeyConstraint("venue_id", "month", "bucket", name=op.f("pk_analytics_venue_lead_months")),
    )
    op.add_column("analytics_market_days", sa.Column("site_bookings", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "analytics_market_days", sa.Column("site_gross_minor", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "analytics_market_days", sa.Column("site_refunds_minor", sa.BigInteger(), server_default="0", nullable=False)
    )
    for fill in (FILL_MONTHS, FILL_HOUR_MONTHS, FILL_SERVICE_MONTHS, FILL_LEAD_MONTHS, SPLIT_MARKET_DAYS):
        op.execute(fill)


def downgrade():
    op.execute(UNSPLIT_MARKET_DAYS)
    op.drop_column("analytics_market_days", "site_refunds_minor")
    op.drop_column("analytics_market_days", "site_gross_minor")
    op.drop_column("analytics_market_days", "site_bookings")
    op.drop_table("analytics_venue_lead_months")
    op.drop_table("analytics_venue_service_months")
    op.drop_table("analytics_venue_hour_months")
    op.drop_table("analytics_venue_months")
