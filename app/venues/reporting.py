"""What reporting may read of venues and their services: two database views that venues own.

Analytics (app/analytics) reads a venue's time zone (to count bookings by its local day), its
listing dates and status (the marketplace report) and its services' names through these views,
never through the tables. Why views, and why they cost nothing: app/booking/reporting.py.
"""

VENUES = "reporting_venues"
SERVICES = "reporting_services"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's views
# are these. Changing one is a migration that replaces the view, and a change here to match.
VIEWS = {
    VENUES: "SELECT id, timezone, status, submitted_at, approved_at FROM venues",
    SERVICES: "SELECT id, venue_id, name FROM services",
}
