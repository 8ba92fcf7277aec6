"""Every blueprint, defined once. Page modules (``views.py`` or a ``views/`` package in each
domain) import theirs from here and add routes to it; ``create_app`` imports each page module
and registers each blueprint (``app.register_blueprints``). The names and URL prefixes are
the endpoints' prefixes (``url_for("venues_dashboard.home")``), so they never change.

This module holds no helpers and imports nothing of the project's own.
"""

from __future__ import annotations

from flask import Blueprint

main = Blueprint("main", __name__)
accounts = Blueprint("accounts", __name__, url_prefix="/account")
admin = Blueprint("admin", __name__, url_prefix="/admin")
ops = Blueprint("ops", __name__)
dashboard = Blueprint("venues_dashboard", __name__, url_prefix="/provider")
public = Blueprint("venues_public", __name__)
booking = Blueprint("booking", __name__)
payments = Blueprint("payments", __name__, url_prefix="/payments")
discovery = Blueprint("discovery", __name__)
privacy = Blueprint("privacy", __name__)
calendar_feed = Blueprint("calendar_feed", __name__)
saved = Blueprint("saved", __name__)
vouchers = Blueprint("vouchers", __name__, url_prefix="/gift-vouchers")
notifications = Blueprint("notifications", __name__)
waitlist = Blueprint("waitlist", __name__)
embed = Blueprint("embed", __name__, url_prefix="/embed")

# In registration order: where two rules match the same URL, the first registered wins.
ALL = (
    main,
    accounts,
    admin,
    ops,
    dashboard,
    public,
    booking,
    payments,
    discovery,
    privacy,
    calendar_feed,
    saved,
    vouchers,
    notifications,
    waitlist,
    embed,
)
