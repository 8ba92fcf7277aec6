"""A venue's own website origins, where its booking button may open the booking panel: each is
``https://host[:port]``, nothing more (no path, no wildcard); at most MAX_ORIGINS. The embed
pages send them, and only them, as CSP ``frame-ancestors`` (app/booking/views/embed.py)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.venues.models import Venue

MAX_ORIGINS = 5
HOST_RE = re.compile(r"^(?=.{1,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


def parse_origin(raw: str, *, allow_http: bool) -> str:
    text = raw.strip().rstrip("/")
    parts = urlsplit(text)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ValidationFailed(_("%(origin)s: a website address starts with https://.", origin=text[:80]))
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").lower()
    if (
        port == -1
        or not HOST_RE.match(host)
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValidationFailed(
            _(
                "%(origin)s isn't a website origin. Enter only the start of the address, like https://example.com.",
                origin=text[:80],
            )
        )
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def parse_origins(text: str) -> list[str]:
    """Origins separated by commas or spaces, each checked, without repeats."""
    allow_http = current_app.config["EMBED_ALLOW_HTTP_ORIGINS"]
    found: list[str] = []
    for raw in re.split(r"[\s,]+", (text or "")[:2000]):
        if raw and (origin := parse_origin(raw, allow_http=allow_http)) not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise ValidationFailed(_("Enter at most %(num)d website addresses.", num=MAX_ORIGINS))
    return found


def set_site_origins(venue: Venue, text: str) -> list[str]:
    venue.site_origins = parse_origins(text)
    return venue.site_origins
