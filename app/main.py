"""Pages that belong to no single domain: home, media files, theme."""

from __future__ import annotations

import mimetypes
from io import BytesIO

from flask import Blueprint, abort, render_template, send_file

from app.discovery import build_home_page
from app.storage import get_storage

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html", **build_home_page())


@bp.get("/media/<path:key>")
def media(key: str):
    """Uploaded files: immutable names, so they cache for a year; never sniffed as HTML."""
    storage = get_storage()
    if ".." in key or not key.endswith((".webp", ".jpg", ".png")):
        abort(404)
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
