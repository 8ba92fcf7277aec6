"""Pages that belong to no single domain: home, media files, theme, the language switcher, and the
installable app's manifest, service worker and offline page (app/web/installable.py)."""

from __future__ import annotations

import json
import mimetypes
from io import BytesIO
from urllib.parse import urlsplit

from flask import Response, abort, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import is_safe_next
from app.discovery import build_home_page
from app.platform import i18n
from app.platform.extensions import csrf
from app.platform.storage import get_storage
from app.web import installable, viewer
from app.web.blueprints import main as bp


@bp.get("/")
def index():
    customer_id = viewer.customer_id()
    saved_ids = viewer.saved_ids() if customer_id is not None else []
    return render_template("main/index.html", **build_home_page(customer_id=customer_id, saved_ids=saved_ids))


@bp.get("/media/<path:key>")
def media(key: str):
    """Uploaded files: immutable names, so they cache for a year; never sniffed as HTML."""
    storage = get_storage()
    if ".." in key or not key.endswith((".webp", ".jpg", ".png")):
        abort(404)
    if elsewhere := storage.url(key):  # a bucket or a CDN serves it: old links still work
        return redirect(elsewhere, code=302)
    try:
        if not storage.exists(key):
            abort(404)
        data = storage.open(key)
    except ValueError:
        abort(404)
    mimetype = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = send_file(BytesIO(data), mimetype=mimetype, download_name=key.rsplit("/", 1)[-1], max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{key.rsplit("/", 1)[-1]}"'
    return response


@bp.post("/language")
@csrf.exempt  # checked below: a token, or for a form from a shared page (no token), the origin
def choose_language():
    """The footer's switcher: keep the visitor's language (cookie; a signed-in user's account
    too) and go back to the page they were on.

    A page shared by every anonymous visitor (app/web/page_cache.py) holds no CSRF token, so its
    switcher posts without one: that is accepted only from our own origin and only sets this
    browser's cookie. Every other form carries the token, checked as everywhere else."""
    if "csrf_token" in request.form or current_user.is_authenticated:
        csrf.protect()
    elif not _same_origin():
        abort(400, _("Your form expired or came from elsewhere. Reload the page and try again."))
    language = request.form.get("language", "")
    if language not in i18n.LANGUAGES:
        abort(
            400,
            _("Choose one of the languages offered: %(languages)s.", languages=", ".join(i18n.LANGUAGES.values())),
        )
    next_url = request.form.get("next") or request.args.get("next")
    response = redirect(next_url if is_safe_next(next_url) else url_for("main.index"), code=303)
    i18n.remember_choice(response, language)
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language  # the user-row watch bumps their pages' version
    return response


def _same_origin() -> bool:
    """Did the browser say this POST comes from one of our own pages (Origin, else Referer)?"""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    return bool(source) and urlsplit(source).netloc == request.host


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: what a browser needs to offer "Install CozyWish"."""
    body = json.dumps(installable.web_app_manifest(), ensure_ascii=False)
    response = Response(body, mimetype=installable.MANIFEST_TYPE)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))  # its description is in the visitor's language
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the site's root so that it may control every page; never cached
    without asking, so a deploy reaches each browser on its next visit."""
    body, version = installable.worker_script()
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(version)
    return response.make_conditional(request)


@bp.get("/offline")
def offline() -> Response:
    """What the service worker shows for a page it has no copy of while the browser is offline.
    Kept by the worker at install time and shown to whoever uses the browser then, so it names no
    one: no navigation bar, no form, no token."""
    response = make_response(render_template("main/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response
