"""Every blueprint, defined once. Page modules (``views.py`` or a ``views/`` package in each
domain) import theirs from here and add routes to it; ``create_app`` imports each page module
and registers each blueprint (``app.register_blueprints``). The names and URL prefixes are
the endpoints' prefixes (``url_for("venues_dashboard.home")``), so they never change.

This module holds no helpers and imports nothing of the project's own.

The JSON API's blueprints (``/api/v1``, app/api) are flask-smorest's ``Blueprint`` class, a
Flask blueprint that also documents its routes in the OpenAPI spec: they are defined here
like the others, and ``app.api.init_app`` registers them through flask-smorest's ``Api``
(which writes their operations into ``/api/v1/openapi.json``) instead of ``app.register_blueprint``.
"""

from __future__ import annotations

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

main = Blueprint("main", __name__)
accounts = Blueprint("accounts", __name__, url_prefix="/account")
admin = Blueprint("admin", __name__, url_prefix="/admin")
ops = Blueprint("ops", __name__)
dashboard = Blueprint("venues_dashboard", __name__, url_prefix="/provider")
public = Blueprint("venues_public", __name__)
booking = Blueprint("booking", __name__)
payments = Blueprint("payments", __name__, url_prefix="/payments")
# The Demo gateway's hosted checkout (app/demo/views.py): registered outside production only.
demo = Blueprint("demo", __name__, url_prefix="/payments/demo")
discovery = Blueprint("discovery", __name__)
privacy = Blueprint("privacy", __name__)
calendar_feed = Blueprint("calendar_feed", __name__)
saved = Blueprint("saved", __name__)
vouchers = Blueprint("vouchers", __name__, url_prefix="/gift-vouchers")
notifications = Blueprint("notifications", __name__)
waitlist = Blueprint("waitlist", __name__)
embed = Blueprint("embed", __name__, url_prefix="/embed")
# OAuth 2.0 for third-party apps (app/accounts/views/oauth.py): authorize, token, revoke.
oauth = Blueprint("oauth", __name__, url_prefix="/oauth")
# The JSON API (app/api): its reference page and spec, then its resources by area.
api_docs = Blueprint("api_docs", __name__, url_prefix="/api/v1")
api_public = ApiBlueprint("api_public", __name__, url_prefix="/api/v1", description="Public: no token needed.")
api_customer = ApiBlueprint(
    "api_customer", __name__, url_prefix="/api/v1/me", description="The customer's own: scopes read and write."
)
api_venue = ApiBlueprint(
    "api_venue", __name__, url_prefix="/api/v1/venue", description="Your venue, as your staff role allows: scope venue."
)
api_admin = ApiBlueprint("api_admin", __name__, url_prefix="/api/v1/admin", description="Moderation: scope admin.")
# The GraphQL read API (app/api/graphql): the query endpoint and its published schema.
graphql = Blueprint("graphql", __name__, url_prefix="/api/graphql")

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
    demo,
    discovery,
    privacy,
    calendar_feed,
    saved,
    vouchers,
    notifications,
    waitlist,
    embed,
    oauth,
    api_docs,
    api_public,
    api_customer,
    api_venue,
    api_admin,
    graphql,
)
