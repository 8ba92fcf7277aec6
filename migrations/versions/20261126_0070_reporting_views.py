"""Reporting views: what analytics may read of other domains' tables, one view per table, each
owned by the domain whose table it shows (app/booking/reporting.py, app/venues/reporting.py,
app/payouts/reporting.py, app/reviews/reporting.py, app/accounts/reporting.py). Analytics reads
these instead of the tables. Each is one table's columns and nothing else, so PostgreSQL inlines
it into the query that reads it: the same plans, the same indexes. Creating a view reads no rows.

The definitions are copied here as they are today (a migration never follows later code);
tests/analytics/test_reporting_views.py checks the modules and the database agree.

Revision ID: 0070
Revises: 0069
Create Date: 2026-11-26
"""

from alembic import op

revision = "0070"
down_revision = "0069"
branch_labels = None
depends_on = None

VIEWS = {
    "reporting_bookings": (
        "SELECT id, order_id, venue_id, service_id, team_member_id, client_id, channel, status, starts_at,"
        " ends_at, created_at, cancelled_at, cancel_free_hours, quantity, unit_price_minor, promo_discount_minor,"
        " online_minor, refund_minor, currency, moves_booking_id FROM bookings"
    ),
    "reporting_orders": "SELECT id, channel, paid_at FROM orders",
    "reporting_venues": "SELECT id, timezone, status, submitted_at, approved_at FROM venues",
    "reporting_services": "SELECT id, venue_id, name FROM services",
    "reporting_venue_transfers": "SELECT order_id, venue_id, commission_bp FROM venue_transfers",
    "reporting_reviews": "SELECT id, booking_id, venue_id, status, rating, created_at FROM reviews",
    "reporting_users": "SELECT id, role, created_at FROM users",
}


def upgrade():
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade():
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
