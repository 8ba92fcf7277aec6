"""Absolute links for emails, feeds and canonical tags, built from BASE_URL alone.

A link that leaves the site (an email, an iCal feed, a payment provider's return address)
must never take its host from the request: a forged ``Host`` or ``X-Forwarded-Host`` header
would otherwise put an attacker's address into a password-reset email.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values, _external=True)``, but on BASE_URL whatever the request says."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=base.path.rstrip("/") or "/",
        url_scheme=base.scheme or "https",
    )
    return adapter.build(endpoint, values, force_external=True)


URL_FOR_SAFE = "!$'()*,/:;?@"  # what Werkzeug leaves unescaped in a query string


def with_query(path: str, args: dict[str, Any]) -> str:
    """``path`` with ``args`` as its query string, as ``url_for`` writes them (a list is one
    pair per item, None is left out): for a page that links to one view many times over, its
    path built once (half the CPU of ``url_for`` a link)."""
    pairs = [
        (name, item)
        for name, value in args.items()
        for item in (value if isinstance(value, (list, tuple)) else (value,))
        if item is not None
    ]
    return f"{path}?{urlencode(pairs, safe=URL_FOR_SAFE)}" if pairs else path


def on_base_url(url: str) -> str:
    """``url`` made absolute on BASE_URL: a path of this site (``/payments/demo/...``) gets
    BASE_URL's scheme and host, whatever the request says; an address with its own host (a
    payment provider's) stays as it is."""
    return urljoin(current_app.config["BASE_URL"], url)


def hosts_of(base_url: str, extra: str | None) -> list[str]:
    """The Host names a request may carry: BASE_URL's, loopback (health checks), and ``extra``."""
    hosts = [urlsplit(base_url).hostname or "", "localhost", "127.0.0.1"]
    hosts += [h.strip() for h in (extra or "").split(",") if h.strip()]
    return list(dict.fromkeys(h for h in hosts if h))
