"""One gate for hostile input, checked before any view runs.

Every request's path, query string, form fields (urlencoded and multipart, not file
contents), cookies and header values must be readable UTF-8 text without control
characters, and of a sensible length. Anything else is refused here with a 400 that says
what was wrong (a 414 for an address too long), so no view, form or query ever sees a NUL
byte (PostgreSQL refuses them in text), a line break in a single-line field (header
injection in emails), or bytes that aren't text.

Ids in URLs are checked by the ``int`` converter: a number PostgreSQL's ``integer`` column
can't hold names no row, so the rule doesn't match and the answer is the usual 404, whatever
the method (its pattern takes only the numbers it accepts, so such a URL matches no rule at
all: not a 405 because the rule has other methods).

Webhook bodies are signed bytes read raw by their views: the gate checks only their
headers, and never parses their bodies (parsing would consume the stream).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestURITooLarge
from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL integer ids: a larger number can't name a row
MAX_PATH = 2_000  # characters, after percent-decoding; longer: 414
MAX_QUERY_STRING = 8_000  # bytes, as sent; longer: 414 (gunicorn's own request-line limit is off)
MAX_QUERY_VALUE = 2_000  # characters, each name or value
MAX_FORM_VALUE = 10_000  # characters, each field (the longest form field allows 5,000)
MAX_HEADER_VALUE = 8_000  # bytes, each header (gunicorn's own limit is 8,190)

# Views that read their body raw to check a signature: only their headers are checked.
RAW_BODY_ENDPOINTS = frozenset({"payments.stripe_webhook", "demo.webhook"})

# Form fields that are textareas, where line breaks are content. Every other form field is a
# single line, where CR or LF is refused. tests/platform/test_hostile_input.py checks that
# this list covers every TextAreaField and <textarea> in the app.
MULTILINE_FIELDS = frozenset({"answer", "bio", "body", "description", "message", "notes", "reason", "redirect_uris"})

# C0 controls and DEL, except TAB. CR and LF are allowed only in multi-line form fields.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,40}")

UNREADABLE_ADDRESS = "This address contains characters we can't read. Check the link and try again."
UNREADABLE_COOKIE = "Your browser sent a cookie we can't read. Clear this site's cookies and try again."


def numbers_up_to(limit: int) -> str:
    """A regex of the decimal numbers from 0 to ``limit``, at most as many digits as ``limit``."""
    digits = str(limit)
    width = len(digits)
    choices = [rf"\d{{1,{width - 1}}}"] if width > 1 else []
    for at, digit in enumerate(digits):  # the same digits up to ``at``, then a smaller one there
        if digit != "0":
            rest = width - at - 1
            choices.append(digits[:at] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    choices.append(digits)
    return "(?:" + "|".join(choices) + ")"


class BoundedIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a positive number that fits PostgreSQL's ``integer``.

    A larger number is no match (404) before any view or query sees it; without this a
    20-digit id reached PostgreSQL ("integer out of range", a 500), and a 5,000-digit one
    broke Python's int() (a 500 in routing). The pattern itself refuses it: werkzeug picks a
    rule by its pattern and converts after, so a pattern that took any digits made a
    DELETE of /orders/99999999999 a 405 (the rule matched, for GET only) instead of a 404.
    """

    regex = numbers_up_to(MAX_ID)

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered: their rules bind the ``int`` converter then."""
    app.url_map.converters["int"] = BoundedIdConverter
    # First of all before-request hooks: ahead of CSRF (which reads the form too), the idle
    # timeout and the rate limits, so hostile input reaches none of them.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


def check_request() -> None:
    """Refuse a request carrying hostile input with a 400 and a clear message."""
    environ = request.environ
    check_path(environ.get("PATH_INFO", ""))
    check_query_string(environ.get("QUERY_STRING", ""))
    check_headers(environ)
    if request.endpoint not in RAW_BODY_ENDPOINTS:
        check_form()


def refuse(message: str) -> BadRequest:
    return BadRequest(description=message)


def check_path(path_info: str) -> None:
    # WSGI gives the percent-decoded path as latin-1; its bytes must be UTF-8. The test client
    # (and some servers) decode it already, leaving U+FFFD where the bytes were not text.
    text = _utf8(path_info.encode("latin-1", "replace"))
    if text is None or "\ufffd" in text or _CONTROL.search(text):
        raise refuse(UNREADABLE_ADDRESS)
    if len(text) > MAX_PATH:
        raise RequestURITooLarge()  # its message: app/ops/errors.py MESSAGES[414]


def check_query_string(query: str) -> None:
    raw = query.encode("latin-1", "replace")
    if len(raw) > MAX_QUERY_STRING:
        raise RequestURITooLarge(description=_("This address is too long. Shorten your search and try again."))
    for name, value in _urlencoded_pairs(raw):
        label = _label(name)
        if name is None or value is None or _CONTROL.search(name) or _CONTROL.search(value):
            where = _(" (in “%(label)s”)", label=label) if label else ""
            raise refuse(
                _("This address contains characters we can't read%(where)s. Check the link and try again.", where=where)
            )
        if len(name) > MAX_QUERY_VALUE or len(value) > MAX_QUERY_VALUE:
            what = _("“%(label)s” in this address", label=label) if label else _("A value in this address")
            raise refuse(
                _(
                    "%(what)s is too long: use at most %(max_query_value)s characters.",
                    what=what,
                    max_query_value=format(MAX_QUERY_VALUE, ","),
                )
            )


def check_headers(environ: dict) -> None:
    for key, value in environ.items():
        if not (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")) or not isinstance(value, str):
            continue
        raw = value.encode("latin-1", "replace")
        text = _utf8(raw)
        if key == "HTTP_COOKIE":
            # Quoted cookie values may spell control characters as octal escapes (\000).
            values = request.cookies.values() if text is not None else ()
            if (
                text is None
                or _CONTROL.search(text)
                or any(_CONTROL.search(v) for v in values)
                or len(raw) > MAX_HEADER_VALUE
            ):
                raise refuse(UNREADABLE_COOKIE)
            continue
        if text is None or _CONTROL.search(text) or len(raw) > MAX_HEADER_VALUE:
            name = key.removeprefix("HTTP_").replace("_", "-").title()
            raise refuse(_("Your browser sent a header we can't read (%(name)s).", name=name))


def check_form() -> None:
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        # Werkzeug drops a whole urlencoded form whose bytes aren't UTF-8, and keeps "%FF" as
        # text; read the bytes once (cached, so the form is parsed from them later).
        pairs = _urlencoded_pairs(request.get_data(cache=True, parse_form_data=False))
    elif mimetype == "multipart/form-data":
        # Werkzeug decodes multipart fields with "replace": U+FFFD marks bytes that weren't text.
        pairs = [(name, value) for name, value in request.form.items(multi=True)]
        pairs += [(name, upload.filename or "") for name, upload in request.files.items(multi=True)]
        pairs = [(_unreplaced(name), _unreplaced(value)) for name, value in pairs]
    else:
        return
    for name, value in pairs:
        _check_form_field(name, value)


def _check_form_field(name: str | None, value: str | None) -> None:
    label = _label(name)
    field = f"“{label}”" if label else "One of the fields"
    if name is None or value is None or _CONTROL.search(name):
        raise refuse(_("%(field)s contains characters we can't read. Use plain text and try again.", field=field))
    multiline = name in MULTILINE_FIELDS
    if (_CONTROL_EXCEPT_NEWLINES if multiline else _CONTROL).search(value):
        if not multiline and not _CONTROL_EXCEPT_NEWLINES.search(value):
            raise refuse(_("%(field)s must be a single line: remove the line breaks and try again.", field=field))
        raise refuse(_("%(field)s contains characters we can't accept. Use plain text and try again.", field=field))
    if len(name) > MAX_QUERY_VALUE or len(value) > MAX_FORM_VALUE:
        raise refuse(
            _(
                "%(field)s is too long: use at most %(max_form_value)s characters.",
                field=field,
                max_form_value=format(MAX_FORM_VALUE, ","),
            )
        )


def _urlencoded_pairs(raw: bytes) -> list[tuple[str | None, str | None]]:
    """name=value pairs of a query string or urlencoded body; None where the bytes aren't UTF-8."""
    pairs: list[tuple[str | None, str | None]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def _form_decode(raw: bytes) -> str | None:
    return _utf8(unquote_to_bytes(raw.replace(b"+", b" ")))


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unreplaced(text: str) -> str | None:
    return None if "\ufffd" in text else text


def _label(name: str | None) -> str | None:
    """A field name safe and short enough to quote back in a message."""
    return name if name and _PLAIN_NAME.fullmatch(name) else None
