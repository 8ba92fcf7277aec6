"""Error reports to Sentry (its official SDK) when SENTRY_DSN is set, with personal data removed.

The SDK sends no personal data by default (``send_default_pii`` unset, i.e. False: no
cookies, no user's IP, no request body) and not to send stack frames' local variables; and every event and
breadcrumb goes through ``scrub`` before it leaves: an email, a token or password, a card
number or an IP address anywhere in a message, an exception's text, the extra data, the
breadcrumbs or the request's URL, query and headers is replaced, and values whose key names a
secret (``password``, ``token``, ``authorization``, ``cookie``...) are dropped whole.
"""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask

FILTERED = "[Filtered]"
# Keys whose value is dropped whole, wherever they appear (headers, extra, data, query...):
# a key holding one of these words, or made of parts one of which is in SECRET_PARTS.
SECRET_WORDS = (
    "password", "passwd", "token", "secret", "cookie", "authorization", "csrf", "session", "card", "cvc",
    "cvv", "iban", "email", "phone", "signature", "totp", "forwarded", "api_key", "apikey",
)  # fmt: skip
SECRET_PARTS = frozenset({"ip", "pwd", "otp", "dsn", "auth", "addr", "remote", "real"})
KEY_PARTS_RE = re.compile(r"[^a-z0-9]+")


def secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS) or not SECRET_PARTS.isdisjoint(KEY_PARTS_RE.split(lowered))


# 13 to 19 digits, in groups separated by spaces or dashes (card numbers as typed, or in a URL).
CARD_RE = re.compile(r"\b(?:\d(?:[ +-]|%20)?){12,18}\d\b")
IPV4_RE = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
IPV6_RE = re.compile(r"(?i)\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b|::ffff:[0-9.]+")
BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# name=value and name: value pairs whose name says secret, in messages and query strings.
ASSIGNED_SECRET_RE = re.compile(
    r"(?i)\b(password|passwd|pwd|token|secret|api[_-]?key|authorization|csrf_token|session|code)"
    r"(\"?\s*[:=]\s*\"?)([^\s\"&,;']+)"
)
# Secrets in URL paths: the routes whose path carries a token or a code (/verify/<token>,
# /reset-password/<token>, /staff-invitation/<token>, a data export's, a reminder's /r/, a
# voucher's /v/<code>, a desk payment link's /link/<id>/<token>, a calendar feed's
# /calendar/<token>.ics, a marketing email's /unsubscribe/<token>). The logs mask them with it too (app/ops/logging.py);
# tests/platform/test_secret_paths.py fails when a route with such a part is not covered.
PATH_TOKEN_RE = re.compile(
    r"(/(?:verify|reset-password|confirm|ical|staff-invitation|exports|demo|r|v|unsubscribe|link/\d+)/"
    r"|/calendar/(?=[^/\s?\"']+\.ics))"
    r"[^/\s?\"']+"
)
# Opaque strings (signed links, API keys): 24 or more token characters holding a digit and a letter.
OPAQUE_RE = re.compile(r"[A-Za-z0-9_-]{24,}")


def _opaque(match: re.Match[str]) -> str:
    word = match.group(0)
    has_digit = any(c.isdigit() for c in word)
    has_letter = any(c.isalpha() for c in word)
    return FILTERED if has_digit and has_letter else word


def scrub_text(value: str) -> str:
    value = BEARER_RE.sub(r"\1 " + FILTERED, value)
    value = EMAIL_RE.sub(FILTERED, value)
    value = ASSIGNED_SECRET_RE.sub(lambda m: m.group(1) + m.group(2) + FILTERED, value)
    value = PATH_TOKEN_RE.sub(r"\1" + FILTERED, value)
    value = CARD_RE.sub(FILTERED, value)
    value = IPV4_RE.sub(FILTERED, value)
    value = IPV6_RE.sub(FILTERED, value)
    return OPAQUE_RE.sub(_opaque, value)


# Identifiers of the event itself (hex strings that would look like opaque tokens): kept.
KEPT_KEYS = frozenset({"event_id", "release", "dist", "trace_id", "span_id", "parent_span_id", "sdk", "modules"})


def scrub_value(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub_item(key, item, depth) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Headers come as [name, value] pairs in some SDK paths.
        if len(value) == 2 and isinstance(value[0], str) and secret_key(value[0]):
            return [value[0], FILTERED]
        return [scrub_value(item, depth + 1) for item in value]
    return value


def _scrub_item(key: Any, item: Any, depth: int) -> Any:
    if not isinstance(key, str):
        return scrub_value(item, depth + 1)
    if key in KEPT_KEYS:
        return item
    if secret_key(key):
        return FILTERED
    return scrub_value(item, depth + 1)


def scrub_query(query: str) -> str:
    """A query string with each secret parameter's value replaced and the others scrubbed."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, FILTERED if secret_key(name) else scrub_text(item)) for name, item in pairs], safe="[]")


def scrub(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's ``before_send`` (and ``before_breadcrumb``): the event with personal data removed."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        request.pop("data", None)  # form bodies hold passwords and card fields
        request.pop("env", None)  # REMOTE_ADDR and the server's own address
        if isinstance(request.get("query_string"), str):
            request["query_string"] = scrub_query(request["query_string"])
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"cookie", "authorization", "x-forwarded-for", "x-real-ip", "forwarded"}:
                    headers.pop(name)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {key: item for key, item in user.items() if key == "id"}  # an id is not personal data here
    return scrub_value(event)


def scrub_breadcrumb(crumb: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return scrub_value(crumb)


def init_app(app: Flask) -> bool:
    """Start the Sentry SDK when SENTRY_DSN is set; True when it did."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    # Imported only here: the SDK and its integrations take about 0.3 s to import, which every
    # process of an installation without Sentry would pay for nothing.
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("ENV_NAME"),
        release=app.config.get("SENTRY_RELEASE"),
        integrations=[FlaskIntegration()],
        # send_default_pii is left unset, which the SDK reads as False (no cookies, user IP or
        # request body); setting it is deprecated in favour of data_collection.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=app.config.get("SENTRY_TRACES_SAMPLE_RATE") or 0.0,
    )
    return True


def capture(error: BaseException) -> None:
    """Report an error the app handled itself (the 500 page): a no-op without a client."""
    sentry_sdk = sys.modules.get("sentry_sdk")  # loaded by init_app when SENTRY_DSN is set
    if sentry_sdk is None:
        return
    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(error)
