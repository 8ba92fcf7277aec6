"""What reporting may read of reviews: a database view that reviews own.

Analytics (app/analytics) reads each review's venue, booking, status, rating and date (a
venue's ratings by month) through this view, never through the table. Why views, and why they
cost nothing: app/booking/reporting.py.
"""

REVIEWS = "reporting_reviews"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's view
# is this. Changing it is a migration that replaces the view, and a change here to match.
VIEWS = {
    REVIEWS: "SELECT id, booking_id, venue_id, status, rating, created_at FROM reviews",
}
