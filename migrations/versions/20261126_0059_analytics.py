"""Analytics: the daily per-venue rollup and the marketplace's, the queue of days to refresh
(filled by triggers on bookings and venue transfers), and the search funnel's counts

Revision ID: 0059
Revises: 0058
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None

FUNNEL_STEPS = "'search', 'venue_view', 'cart_add', 'checkout', 'paid'"

MARK_BOOKING = """
CREATE FUNCTION analytics_mark_booking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The venue's local day of the booking's start, before and after the change: the periodic
    -- job (app/analytics/rollup.py) recounts these days. An append-only queue, so two
    -- checkouts never wait for each other here.
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO analytics_dirty_days (venue_id, day)
        SELECT OLD.venue_id, (OLD.starts_at AT TIME ZONE v.timezone)::date FROM venues v WHERE v.id = OLD.venue_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.starts_at <> NEW.starts_at OR OLD.venue_id <> NEW.venue_id) THEN
        INSERT INTO analytics_dirty_days (venue_id, day)
        SELECT NEW.venue_id, (NEW.starts_at AT TIME ZONE v.timezone)::date FROM venues v WHERE v.id = NEW.venue_id;
    END IF;
    RETURN NULL;
END $$;
"""

MARK_TRANSFER = """
CREATE FUNCTION analytics_mark_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A venue's share of a paid order: its bookings' commission is now known.
    INSERT INTO analytics_dirty_days (venue_id, day)
    SELECT DISTINCT b.venue_id, (b.starts_at AT TIME ZONE v.timezone)::date
    FROM bookings b JOIN venues v ON v.id = b.venue_id
    WHERE b.order_id = NEW.order_id AND b.venue_id = NEW.venue_id;
    RETURN NULL;
END $$;
"""


def upgrade():
    op.create_table(
        "analytics_venue_days",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_analytics_venue_days_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "venue_id", "day", "team_member_id", "channel", "currency", name=op.f("pk_analytics_venue_days")
        ),
    )
    op.create_index("ix_analytics_venue_days_day", "analytics_venue_days", ["day"])
    op.create_table(
        "analytics_venue_hours",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("booked_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_analytics_venue_hours_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "day", "team_member_id", "hour", name=op.f("pk_analytics_venue_hours")),
    )
    op.create_table(
        "analytics_venue_services",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_analytics_venue_services_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "venue_id", "day", "team_member_id", "service_id", name=op.f("pk_analytics_venue_services")
        ),
    )
    op.create_table(
        "analytics_venue_leads",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_analytics_venue_leads_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", "day", "bucket", name=op.f("pk_analytics_venue_leads")),
    )
    op.create_table(
        "analytics_client_visits",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("second_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["venue_clients.id"],
            name=op.f("fk_analytics_client_visits_client_id_venue_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_analytics_client_visits")),
    )
    op.create_index("ix_analytics_client_visits_venue_id", "analytics_client_visits", ["venue_id"])
    op.create_table(
        "analytics_market_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False),
        sa.Column("gmv_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunds_minor", sa.BigInteger(), nullable=False),
        sa.Column("commission_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "currency", name=op.f("pk_analytics_market_days")),
    )
    op.create_table(
        "analytics_dirty_days",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty_days")),
    )
    op.create_table(
        "analytics_funnel_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"step IN ({FUNNEL_STEPS})", name=op.f("ck_analytics_funnel_days_step_known")),
        sa.CheckConstraint("count >= 0", name=op.f("ck_analytics_funnel_days_count_not_negative")),
        sa.PrimaryKeyConstraint("day", "step", name=op.f("pk_analytics_funnel_days")),
    )
    op.create_table(
        "analytics_zero_searches",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("query", sa.String(length=100), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_analytics_zero_searches_count_not_negative")),
        sa.PrimaryKeyConstraint("day", "query", name=op.f("pk_analytics_zero_searches")),
    )
    op.execute(MARK_BOOKING)
    op.execute(
        "CREATE TRIGGER analytics_mark_booking AFTER INSERT OR UPDATE OR DELETE ON bookings "
        "FOR EACH ROW EXECUTE FUNCTION analytics_mark_booking()"
    )
    op.execute(MARK_TRANSFER)
    op.execute(
        "CREATE TRIGGER analytics_mark_transfer AFTER INSERT ON venue_transfers "
        "FOR EACH ROW EXECUTE FUNCTION analytics_mark_transfer()"
    )
    # The reports read a venue's bookings of a period (lead time, the clients seen) from this
    # index alone (an index-only scan once vacuumed).
    # CONCURRENTLY, outside the transaction: bookings and users stay writable while the indexes
    # are built (the block also commits the triggers above, releasing their lock on bookings
    # before the scan below). docs/operations.md, "Migrations without long locks".
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_bookings_venue_id_starts_at",
            "bookings",
            ["venue_id", "starts_at"],
            postgresql_include=["status", "created_at", "team_member_id", "client_id", "moves_booking_id"],
            postgresql_concurrently=True,
        )
        # Sign-ups over time.
        op.create_index("ix_users_created_at", "users", ["created_at"], postgresql_concurrently=True)
    # Every day that already has bookings: the first run of the job counts the history.
    op.execute(
        "INSERT INTO analytics_dirty_days (venue_id, day) SELECT DISTINCT b.venue_id, "
        "(b.starts_at AT TIME ZONE v.timezone)::date FROM bookings b JOIN venues v ON v.id = b.venue_id"
    )


def downgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_bookings_venue_id_starts_at", table_name="bookings")
    op.execute("DROP TRIGGER analytics_mark_transfer ON venue_transfers")
    op.execute("DROP FUNCTION analytics_mark_transfer()")
    op.execute("DROP TRIGGER analytics_mark_booking ON bookings")
    op.execute("DROP FUNCTION analytics_mark_booking()")
    op.drop_table("analytics_zero_searches")
    op.drop_table("analytics_funnel_days")
    op.drop_table("analytics_dirty_days")
    op.drop_table("analytics_market_days")
    op.drop_index("ix_analytics_client_visits_venue_id", table_name="analytics_client_visits")
    op.drop_table("analytics_client_visits")
    op.drop_table("analytics_venue_leads")
    op.drop_table("analytics_venue_services")
    op.drop_table("analytics_venue_hours")
    op.drop_index("ix_analytics_venue_days_day", table_name="analytics_venue_days")
    op.drop_table("analytics_venue_days")
