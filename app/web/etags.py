"""The ETag of a page that differs by who is looking: what it shows plus the viewer's hearts,
sign-in, form token, messages and cart count (the venue page and the search page)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import session
from flask_login import current_user

from app.web.guards import count_cart_items
from app.web.viewer import viewer_saved_ids


def page_etag(page: dict[str, Any]) -> str:
    """A validator over everything the page shows, and who it is shown to.

    ``venue.updated_at`` alone is not enough: edits to services, hours or team rows don't
    touch the venue row, and "Open now" changes with the clock.
    """
    viewer = [
        viewer_saved_ids(),  # the hearts
        current_user.get_id() if current_user.is_authenticated else "anonymous",
        session.get("csrf_token", ""),
        repr(session.get("_flashes", "")),
        count_cart_items(),  # the navbar shows the cart count
    ]
    payload = json.dumps([page, viewer], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]
