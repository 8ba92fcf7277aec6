"""What reporting may read of venue transfers: a database view that payouts own.

Analytics (app/analytics) reads the commission rate each venue's transfer of an order was made
at through this view, never through the table. Why views, and why they cost nothing:
app/booking/reporting.py.
"""

VENUE_TRANSFERS = "reporting_venue_transfers"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's view
# is this. Changing it is a migration that replaces the view, and a change here to match.
VIEWS = {
    VENUE_TRANSFERS: "SELECT order_id, venue_id, commission_bp FROM venue_transfers",
}
