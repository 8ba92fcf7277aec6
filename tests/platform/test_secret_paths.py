"""Every route whose path carries a secret (a token, a code, a payment session) has it masked
in log lines and error reports (app/platform/error_reports.py PATH_TOKEN_RE, used by both)."""

from __future__ import annotations

import re

from app.ops.logging import mask
from app.platform.error_reports import scrub_text

SECRET_PARTS = {"token", "code", "session_id"}
SECRET = "Zq9x"  # short, so only the path rule (not the long-token rule) can hide it


def _filled(match: re.Match[str]) -> str:
    converter, name = match.group(1), match.group(2)
    return SECRET if name in SECRET_PARTS and converter in (None, "string", "path") else "7"


def secret_routes(app) -> list[str]:
    """Each route with a secret text part in its path, filled in with ``SECRET`` (the rest with
    7; a number, like a signed-in device's id, is not a secret)."""
    return [
        path
        for rule in app.url_map.iter_rules()
        if SECRET in (path := re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", _filled, rule.rule))
    ]


def test_there_are_routes_with_secrets_in_their_paths(app):
    paths = secret_routes(app)
    for path in ("/account/staff-invitation/Zq9x", "/payments/link/7/Zq9x", "/calendar/Zq9x.ics", "/r/Zq9x"):
        assert path in paths


def test_every_secret_in_a_path_is_masked_in_logs_and_error_reports(app):
    for path in secret_routes(app):
        url = f"GET http://localhost{path}?page=2 failed"
        assert SECRET not in mask(url), path
        assert SECRET not in scrub_text(url), path


def test_paths_without_secrets_are_kept_for_debugging():
    for path in ("/provider/calendar/blocks", "/venues/calm-rooms/visit", "/provider/calendar/feed"):
        assert mask(path) == path and scrub_text(path) == path
