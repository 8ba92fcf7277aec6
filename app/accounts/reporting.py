"""What reporting may read of accounts: a database view that accounts own.

Analytics (app/analytics) counts sign-ups by day and role through this view: an account's
id, role and creation time, and nothing personal (no name, email or address). Why views, and
why they cost nothing: app/booking/reporting.py.
"""

USERS = "reporting_users"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's view
# is this. Changing it is a migration that replaces the view, and a change here to match.
VIEWS = {
    USERS: "SELECT id, role, created_at FROM users",
}
