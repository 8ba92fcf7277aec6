"""The installable app: the web app manifest and the service worker's script (docs/installable-app.md).

The routes are in app/web/views.py (``/manifest.webmanifest``, ``/sw.js``, ``/offline``); this
module builds what they send. The service worker is our own plain JavaScript,
static/js/service-worker.js; ``/sw.js`` sends it from the site's root (a worker controls only the
paths under its own URL) with one line before it: ``self.COZYWISH_SW = {...}``, the settings it
needs from the server, above all the URLs of the files it keeps for offline use, which are the
hashed names of the current static build (app/web/static_files.py). The version is a digest of
the whole script, so any change to the worker or to those files installs a new one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from app.platform import i18n
from app.web.static_files import static_url

WORKER_SOURCE = "js/service-worker.js"  # under static/
MANIFEST_TYPE = "application/manifest+json"
THEME_COLOUR = "#6941c6"  # the site's primary colour (static/css/app.css)
BACKGROUND_LIGHT = "#ffffff"  # Bootstrap's body background, light and dark themes
BACKGROUND_DARK = "#212529"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)
# What a booking page needs to be read offline: base.html's styles and scripts, the icon font,
# the booking pages' own scripts. Kept at install time, whichever page the worker was met on.
CORE_FILES = (
    "js/theme.js",
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/app.js",
    "js/pwa.js",
    "js/messages.js",
)
UNHASHED_FILES = ("js/booking.js",)  # the booking templates name it with url_for("static"), not static_url
MAX_PAGE_COPIES = 40  # booking pages kept for offline reading; the oldest copy goes first


def web_app_manifest() -> dict[str, Any]:
    """The manifest, in the request's language (its description; the name is the brand's)."""
    name = current_app.config["APP_NAME"]
    return {
        "id": url_for("booking.my_bookings"),
        "name": name,
        "short_name": name,
        "description": _("Your spa, wellness and beauty bookings, with their check-in codes, even offline."),
        "lang": i18n.current_language(),
        "dir": "ltr",
        "start_url": url_for("booking.my_bookings"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_LIGHT,
        "icons": [
            {"src": static_url(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
        "shortcuts": [
            {"name": _("My bookings"), "url": url_for("booking.my_bookings")},
            {"name": _("Find a treatment"), "url": url_for("discovery.search")},
        ],
    }


def worker_settings() -> dict[str, Any]:
    """What the service worker needs to know of the server: URLs only, nothing of the visitor."""
    return {
        "precache": [
            url_for("main.offline"),
            *(static_url(name) for name in CORE_FILES),
            *(url_for("static", filename=name) for name in UNHASHED_FILES),
        ],
        "offline": url_for("main.offline"),
        "staticPrefix": current_app.static_url_path.rstrip("/") + "/",
        "myBookings": url_for("booking.my_bookings"),
        "signIn": url_for("accounts.sign_in"),
        "signOut": [url_for("accounts.sign_out"), url_for("accounts.sign_out_everywhere")],
        # Requests a page makes by itself (app/ops/session.py BACKGROUND_ENDPOINTS): offline, the
        # worker answers them "nothing new" (204) instead of a network error in the console.
        "quiet": [url_for("notifications.unread_count")],
        "maxCopies": MAX_PAGE_COPIES,
    }


def worker_script() -> tuple[str, str]:
    """The body of /sw.js and its version (also its ETag): built once per process, since the
    static build it names changes only with a deploy (in debug mode, on every request)."""
    memo = current_app.extensions.get("service_worker")
    if memo is None or current_app.debug:
        memo = current_app.extensions["service_worker"] = _build_worker_script()
    return memo


def _build_worker_script() -> tuple[str, str]:
    source = (Path(current_app.static_folder or "static") / WORKER_SOURCE).read_text(encoding="utf-8")
    settings = worker_settings()
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode() + source.encode())
    for name in UNHASHED_FILES:  # hashed names change with their content; these don't
        path = Path(current_app.static_folder or "static") / name
        digest.update(path.read_bytes() if path.exists() else b"")
    version = digest.hexdigest()[:12]
    settings["version"] = version
    preamble = f"self.COZYWISH_SW = {json.dumps(settings, sort_keys=True)};\n"
    return preamble + source, version
