"""What reporting may read of bookings and orders: two database views that booking owns.

Analytics (app/analytics) counts bookings in SQL, a million at a time, and reads them through
these views, never through the tables (docs/analytics.md, "What analytics reads"). A view
names the columns reporting relies on: the tables may change behind it, and PostgreSQL refuses
to drop or retype a column a view still reads, so a migration that must do so redefines the
view, here, where booking's owners see what reporting needs. Each view is one table's columns
and nothing else, so the planner inlines it: a query on the view runs as one on the table,
with the same indexes (partial and index-only scans included).
"""

BOOKINGS = "reporting_bookings"
ORDERS = "reporting_orders"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's views
# are these. Changing one is a migration that replaces the view, and a change here to match.
VIEWS = {
    BOOKINGS: (
        "SELECT id, order_id, venue_id, service_id, team_member_id, client_id, channel, status, starts_at,"
        " ends_at, created_at, cancelled_at, cancel_free_hours, quantity, unit_price_minor, promo_discount_minor,"
        " online_minor, refund_minor, currency, moves_booking_id FROM bookings"
    ),
    ORDERS: "SELECT id, channel, paid_at FROM orders",
}
