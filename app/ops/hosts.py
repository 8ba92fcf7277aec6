"""Refuse requests whose Host is not ours, before the app sees them.

Links that leave the site are built from BASE_URL (app/platform/urls.py), so a forged Host can't
poison them; refusing unknown hosts as well keeps forged names out of logs, redirects and
caches. Health probes are exempt: orchestrators call them by IP or by an internal name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.sansio.utils import host_is_trusted
from werkzeug.wsgi import get_host

PROBE_PATHS = ("/healthz", "/readyz")
MESSAGE = b"Unknown host. This site answers only at its own address.\n"


class TrustedHosts:
    """WSGI middleware: a request for a host outside ``hosts`` gets a plain 400."""

    def __init__(self, wsgi_app: Callable, hosts: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        self.hosts = list(hosts)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") in PROBE_PATHS or host_is_trusted(get_host(environ), self.hosts):
            return self.wsgi_app(environ, start_response)
        start_response(
            "400 Bad Request",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(MESSAGE)))],
        )
        return [MESSAGE]
