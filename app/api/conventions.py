"""The API's conventions, in one place: opaque cursors with ``Link: rel="next"``, ETags and
``If-None-Match``, the rate-limit and language headers, ``Idempotency-Key`` on POSTs that
create or pay. A route calls its service and returns; the request commits once, or rolls back
on any error, as every page does (app/web/unit_of_work.py)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, make_response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.api_tokens import IdempotencyRecord
from app.api import auth
from app.platform.extensions import db
from app.platform.input_guard import MAX_ID
from app.platform.paging import keyset_page
from app.platform.urls import absolute_url

MAX_CURSOR_LENGTH = 200
MAX_KEY_LENGTH = 255
# An Idempotency-Key: printable ASCII with at least one visible character (the OpenAPI document
# gives the same pattern, app/api/__init__.py).
KEY_PATTERN = r"^[ -~]*[!-~][ -~]*$"
T = TypeVar("T")


# -- cursors ----------------------------------------------------------------------------------------


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *keys: str) -> dict[str, int] | None:
    """The position a cursor holds ({key: int}); a cursor we didn't write is a 422 naming ``cursor``."""
    if not cursor:
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or set(data) != set(keys):
            raise ValueError
        if not all(isinstance(data[k], int) and not isinstance(data[k], bool) and 0 <= data[k] <= MAX_ID for k in keys):
            raise ValueError
        return data
    except (ValueError, binascii.Error, UnicodeDecodeError):
        message = _("That cursor isn't one we gave out: start again without it.")
        abort(422, message=message, errors={"query": {"cursor": [message]}})
    return None  # unreachable: abort raises


def next_link(cursor: str | None) -> None:
    """Remember the next page's cursor: the answer gets ``Link: <...>; rel="next"``, an absolute
    address on BASE_URL (never the request's host), as every address the API gives out."""
    if cursor is None:
        return
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", cursor)]
    g.api_next = f"{absolute_url(request.endpoint, **(request.view_args or {}))}?{urlencode(args)}"


# -- pages ------------------------------------------------------------------------------------------
# A cursor holds one number under one name: ``before`` (the last id shown, newest first), ``after``
# (the last id shown, in id or name order), ``offset`` or ``page``.


def cursor_position(cursor: str | None, name: str) -> int | None:
    """Where a page starts: the number ``cursor`` holds under ``name``, None for the first page."""
    position = decode_cursor(cursor, name)
    return position[name] if position is not None else None


def next_cursor(name: str, position: int | None) -> str | None:
    """The next page's cursor, holding ``position`` under ``name``, also sent as ``Link: rel="next"``;
    None (and no Link) on the last page."""
    cursor = encode_cursor({name: position}) if position is not None else None
    next_link(cursor)
    return cursor


def keyset(
    query: Select[tuple[T]],
    key: InstrumentedAttribute[Any],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """A page of ``query`` in ``key`` order (app/platform/paging.py) and the next page's cursor:
    ``before`` the last key shown when ``descending`` (newest first), ``after`` it otherwise."""
    name = "before" if descending else "after"
    page = keyset_page(query, key, size=limit, last_shown=cursor_position(cursor, name), descending=descending)
    return page.rows, next_cursor(name, page.next_key)


# -- the after-request headers ----------------------------------------------------------------------


def finish(response: Response) -> Response:
    """Every API answer: rate-limit headers, language, Link, and an ETag on reads (304 on match)."""
    for name, value in (g.get("api_rate") or {}).items():
        response.headers.setdefault(name, value)
    locale = get_locale()
    response.headers["Content-Language"] = locale.language if locale else "en"
    response.vary.update(("Accept-Language", "Authorization", "Cookie"))
    if g.get("api_next"):
        response.headers["Link"] = f'<{g.api_next}>; rel="next"'
    if request.method in ("GET", "HEAD") and response.status_code == 200 and response.is_json:
        response.headers["Cache-Control"] = "private, no-cache"
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        response.make_conditional(request)
    return response


# -- Idempotency-Key ----------------------------------------------------------------------------------


def _owner() -> str:
    return auth.caller_key() or f"user:{current_user.id}"


def idempotent(view: Callable) -> Callable:
    """A POST that creates or pays: with an ``Idempotency-Key`` header, the first answer is kept,
    and the same key again (a retry, or a race from another thread) gets that answer, not a second
    order. The key's row is inserted in the request's own transaction and its answer stored there
    too (``keeping_answers``), so the work and the answer commit together or not at all; a
    concurrent request with the same key waits on the unique index until the first commits, then
    finds the answer."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not re.fullmatch(KEY_PATTERN, key):
            message = _("An Idempotency-Key is 1 to 255 printable characters.")
            abort(400, message=message, errors={"headers": {"Idempotency-Key": [message]}})
        owner = _owner()
        digest = hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()
        inserted = db.session.execute(
            insert(IdempotencyRecord)
            .values(owner=owner, key=key, request_hash=digest)
            .on_conflict_do_nothing(constraint="uq_api_idempotency_keys_owner")
            .returning(IdempotencyRecord.id)
        ).scalar()
        if inserted is None:
            return replay(owner, key, digest)
        # The answer is kept once flask-smorest has dumped it through the operation's schema
        # (``keeping_answers`` -> ``keep_answer``), so a replay is the first answer byte for byte.
        g.api_idempotency = (inserted, owner, key, digest)
        return view(*args, **kwargs)

    wrapped.idempotent = True
    return wrapped


def keep_answer(pending: tuple[int, str, str, str], response: Response) -> None:
    """Store a 2xx answer under its Idempotency-Key; a refusal isn't kept (the key may try again)."""
    inserted, owner, key, digest = pending
    record = db.session.get(IdempotencyRecord, inserted)
    if 200 <= response.status_code < 300 and response.is_json:
        if record is None:  # the view rolled back and redid its work: keep the key all the same
            record = IdempotencyRecord(id=inserted, owner=owner, key=key, request_hash=digest)
            db.session.add(record)
        record.status = response.status_code
        record.body = response.get_json()
        record.location = response.headers.get("Location")
    elif record is not None:
        db.session.delete(record)


def keeping_answers(app: Flask) -> None:
    """Wrap each ``idempotent`` route's whole view (flask-smorest's, which dumps the answer) so its
    answer is stored before the request's one commit (app/web/unit_of_work.py)."""
    for endpoint, view in list(app.view_functions.items()):
        if getattr(view, "idempotent", False):
            app.view_functions[endpoint] = _keeping_answer(view)


def _keeping_answer(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = current_app.make_response(view(*args, **kwargs))
        pending = g.pop("api_idempotency", None)
        if pending is not None:
            keep_answer(pending, response)
        return response

    return wrapped


def replay(owner: str, key: str, digest: str) -> Response:
    record = db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
    )
    if record is None or record.status is None:
        abort(
            409,
            message=_("A request with this Idempotency-Key is still being handled. Try again shortly."),
            headers={"Retry-After": "1"},
        )
    if record.request_hash != digest:
        message = _("This Idempotency-Key was used for a different request.")
        abort(422, message=message, errors={"headers": {"Idempotency-Key": [message]}})
    response = make_response(record.body, record.status)
    response.headers["Idempotent-Replayed"] = "true"
    if record.location:
        response.headers["Location"] = record.location
    return response
