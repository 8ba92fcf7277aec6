"""What goes out on the wire: static files hashed, compressed and cached for a year; pages compressed.

scripts/build_static.py writes static/dist/ (hashed copies, .gz/.br beside them, manifest.json).
When that build is present and matches the sources, pages name files through ``static_url()``
(``js/app.js`` -> ``/static/js/app.3f2a9c1b0d4e.js``) and WhiteNoise serves static/dist/ before
Flask sees the request: hashed names are ``immutable`` for a year, so a repeat page view asks for
nothing; anything else gets a minute.

Without the build (a developer who ran no ``make``), with a build older than the sources, or in
debug mode (live editing), pages fall back to plain ``url_for('static', ...)`` served by Flask
with a short cache: slower, never broken, never stale.

Pages (HTML, JSON, XML, iCal) are compressed per response by Flask-Compress, Brotli or gzip as
the client accepts (see ``compress_responses``). A page kept to be sent again (the public page
cache, a signed-in page's private copy) keeps its Brotli form beside it, compressed once when it
is stored (``brotli_form``), and goes to a browser that takes Brotli as it is (``send_encoded``):
a copy served costs no compression, which for the week calendar's 555 KB was 1.5 ms a request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request, url_for
from flask_compress import Compress
from whitenoise import WhiteNoise

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_MAX_AGE = 60  # seconds, for unhashed names: a deploy reaches every browser within a minute


def init_app(app: Flask) -> None:
    compress_responses(app)
    serve_static_files(app)


def compress_responses(app: Flask) -> None:
    """Brotli or gzip for the app's own text responses; WhiteNoise sends static files pre-compressed.

    A home page goes from 11.8 KB to 3.1 KB for about a millisecond of CPU (docs/benchmarks.md).
    BREACH (reading a secret out of compressed sizes): the secret on every page is the CSRF
    token, whose constant part is useless alone and whose signature covers a timestamp that
    changes every second, too fast to be probed out; sessions live in cookies, not pages.
    """
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br"])
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "application/json", "application/xml", "text/calendar"])
    app.extensions["compress"] = Compress(app)


def brotli_form(response: Response) -> bytes | None:
    """The Brotli form of a page about to be kept, at the level Flask-Compress compresses pages
    at; None when Flask-Compress would send the page as it is (not one of its types, too small)."""
    config = current_app.config
    data = response.get_data()
    if response.mimetype not in config["COMPRESS_MIMETYPES"] or len(data) < config["COMPRESS_MIN_SIZE"]:
        return None
    return brotli.compress(data, quality=config["COMPRESS_BR_LEVEL"], lgwin=config["COMPRESS_BR_WINDOW"])


def send_encoded(response: Response, encoded: bytes | None) -> Response:
    """``response`` with its stored Brotli form as body when Flask-Compress would answer this
    request in Brotli: the client takes it at least as gladly as gzip (the q-values of its
    Accept-Encoding). Flask-Compress leaves a response that has an encoding alone, and still adds
    ``Vary: Accept-Encoding``."""
    if encoded is None or "Content-Encoding" in response.headers or not _brotli_chosen():
        return response
    response.set_data(encoded)
    response.headers["Content-Encoding"] = "br"
    etag, weak = response.get_etag()
    if etag and not weak:  # a strong validator names one encoding, as Flask-Compress does it
        response.set_etag(f"{etag}:br")
    return response


def _brotli_chosen() -> bool:
    offered = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    if "br" not in offered and "*" not in offered:
        return False  # most often: no header at all; then nothing is parsed
    algorithms = current_app.config["COMPRESS_ALGORITHM"]
    if isinstance(algorithms, str):
        algorithms = algorithms.split(",")
    accepted = request.accept_encodings  # "*" counts for each
    return algorithms[0].strip() == "br" and accepted["br"] > 0 and accepted["br"] >= accepted["gzip"]


def serve_static_files(app: Flask) -> None:
    source = Path(app.static_folder or "static")
    dist = Path(app.config.get("STATIC_DIST") or source / "dist")
    manifest = None if app.debug else load_manifest(dist, source)
    app.extensions["static_manifest"] = manifest or {}
    app.add_template_global(static_url)
    if manifest is None:
        if app.config.get("SEND_FILE_MAX_AGE_DEFAULT") is None and not app.debug:
            app.config["SEND_FILE_MAX_AGE_DEFAULT"] = SHORT_MAX_AGE
        return

    prefix = app.static_url_path.rstrip("/") + "/"
    hashed_urls = frozenset(prefix + name for name in manifest.values())

    def one_year(headers, path: str, url: str) -> None:
        # WhiteNoise writes ten years; one year is the customary ceiling and what we promise.
        if url in hashed_urls:
            headers["Cache-Control"] = IMMUTABLE
        headers["X-Content-Type-Options"] = "nosniff"  # Talisman only sees Flask's own responses

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(dist),
        prefix=prefix,
        max_age=SHORT_MAX_AGE,
        immutable_file_test=lambda path, url: url in hashed_urls,
        add_headers_function=one_year,
    )


def load_manifest(dist: Path, source: Path) -> dict[str, str] | None:
    """The build's {logical name: hashed name}, or None if it is missing, unreadable or stale."""
    path = dist / MANIFEST
    try:
        document = json.loads(path.read_text())
        files, sources = document["files"], document["sources"]
    except FileNotFoundError:
        log.info("No %s: static files are served unhashed (run `make vendor` to build them).", path)
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("Unreadable %s: static files are served unhashed.", path)
        return None
    for name, digest in sources.items():
        try:
            current = hashlib.sha256((source / name).read_bytes()).hexdigest()
        except OSError:
            current = None
        if current != digest:
            log.warning(
                "static/%s changed since the last build: serving static files unhashed "
                "until `make vendor` (scripts/build_static.py) runs again.",
                name,
            )
            return None
    return dict(files)


def static_url(filename: str) -> str:
    """URL of a file under static/: its hashed copy when the build has one, else the plain one."""
    manifest: dict[str, str] = current_app.extensions.get("static_manifest") or {}
    return url_for("static", filename=manifest.get(filename, filename))
