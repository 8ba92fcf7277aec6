"""A dropped database connection costs a reader nothing and a writer a clear 503, never a 500.

PostgreSQL restarts, a failover, a pooler recycling its server connections or an operator's
``pg_terminate_backend`` close connections the pool still holds. The pool's checkout
(app/platform/connection_check.py) replaces a connection the server closed while it sat in the
pool; this module covers the rest:

- a GET, HEAD or OPTIONS request whose connection dies while it runs is run once more, from its
  ``before_request`` hooks on, on a fresh connection (its first answer is thrown away: a safe
  request changed nothing);
- any other request (a POST), or a safe one whose second run fails too, gets the 503 page
  ("temporarily unavailable", with Retry-After), never the 500 page and its logged trace;
- a statement PostgreSQL cancelled for running past ``statement_timeout`` (app/platform/db_timeouts.py),
  or one that gave up waiting for a lock (``lock_timeout``), is not a connection fault: it is not
  run again, the request gets the 503 page saying it took too long;
- the same faults met after the view (in an ``after_request`` hook or a ``request_finished``
  receiver) give the same 503 page, unless the view had already committed: then its own answer
  is sent (with its session cookie), since a 503 would invite the user to do it twice;
- the session's teardown (Flask-SQLAlchemy's ``session.remove()``, whose ROLLBACK raises on a
  closed connection) is guarded, so nothing escapes the app to the WSGI server; a transaction
  still open there that wrote nothing ends with COMMIT (``commit_if_read_only``,
  app/platform/sqlutil.py).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from psycopg.errors import LockNotAvailable, QueryCanceled
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError

from app.ops.errors import MESSAGES, render_error
from app.platform.extensions import db
from app.platform.sqlutil import commit_if_read_only, fresh_session, short_error
from app.web import page_cache

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 5
_RETRIED = "db_fault_retried"  # g: this request already had its second run
_COMMITTED = "db_fault_committed"  # g: this request's session committed at least once
_PROCESSED = "db_fault_processed"  # g: the response once the after_request hooks were through
TIMEOUT_MESSAGE = _l("This page took too long to prepare, so we stopped. Please try again in a moment.")


class RetryOnFreshConnection(Exception):
    """Raised from the error handler so the dispatcher runs a safe request once more."""


def is_statement_timeout(error: BaseException) -> bool:
    """A statement PostgreSQL cancelled (statement_timeout, app/platform/db_timeouts.py) or one that waited
    past lock_timeout for a lock: the connection lives, running it again would wait as long."""
    return isinstance(error, DBAPIError) and isinstance(error.orig, (QueryCanceled, LockNotAvailable))


def is_connection_fault(error: BaseException) -> bool:
    """A connection that died or a session left unusable by one (not a bad query, not a timeout)."""
    if is_statement_timeout(error):  # psycopg's QueryCanceled is an OperationalError
        return False
    if isinstance(error, (OperationalError, InterfaceError, PendingRollbackError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def init_app(app: Flask) -> None:
    """Call after the error handlers are registered: this one is more specific than theirs."""
    for kind in (OperationalError, InterfaceError, PendingRollbackError):
        app.register_error_handler(kind, _connection_fault)
    _wrap_dispatch(app)
    _wrap_finalize(app)
    _guard_teardown(app)
    if not event.contains(db.session, "after_commit", _note_commit):
        event.listen(db.session, "after_commit", _note_commit)


def _note_commit(_session) -> None:
    if has_request_context():
        setattr(g, _COMMITTED, True)


def _connection_fault(error: Exception):
    if is_statement_timeout(error):  # running it again would only wait as long once more
        return unavailable(error, TIMEOUT_MESSAGE)
    if not is_connection_fault(error):  # a DBAPIError that is not about the connection
        raise error
    if request.method in SAFE_METHODS and not g.get(_RETRIED):
        raise RetryOnFreshConnection() from error
    return unavailable(error)


def _wrap_dispatch(app: Flask) -> None:
    dispatch = app.full_dispatch_request

    def full_dispatch_request() -> Response:
        try:
            return dispatch()
        except RetryOnFreshConnection as signal:
            first = signal.__cause__
        except Exception as error:  # an after_request hook met the dead connection
            if not is_connection_fault(error):
                raise
            if request.method not in SAFE_METHODS or g.get(_RETRIED):
                return app.make_response(unavailable(error))
            first = error
        log.warning(
            "database connection lost during %s %s (%s); running it again",
            request.method,
            request.path,
            short_error(first),
        )
        fresh_session()
        g.pop("_login_user", None)  # Flask-Login loads the user again, on the new connection
        setattr(g, _RETRIED, True)
        try:
            return dispatch()
        except Exception as error:
            if not is_connection_fault(error):
                raise
            return app.make_response(unavailable(error))

    app.full_dispatch_request = full_dispatch_request  # type: ignore[method-assign]


def _wrap_finalize(app: Flask) -> None:
    """Faults met after the view: in an ``after_request`` hook or a ``request_finished`` receiver."""
    finalize, process = app.finalize_request, app.process_response

    def process_response(response: Response) -> Response:
        response = process(response)
        setattr(g, _PROCESSED, response)
        return response

    def finalize_request(rv, from_error_handler: bool = False) -> Response:
        try:
            return finalize(rv, from_error_handler)
        except Exception as error:
            if from_error_handler or not (is_statement_timeout(error) or is_connection_fault(error)):
                raise
            if g.get(_COMMITTED):  # the view's work is done: say so, not "try again"
                log.warning(
                    "database fault after %s %s had committed (%s); sending the view's answer",
                    request.method,
                    request.path,
                    short_error(error),
                )
                fresh_session()
                return _views_answer(app, rv)
            if is_statement_timeout(error):
                return app.make_response(unavailable(error, TIMEOUT_MESSAGE))
            raise  # a lost connection: the dispatcher runs a safe request again, or answers 503

    app.process_response = process_response  # type: ignore[method-assign]
    app.finalize_request = finalize_request  # type: ignore[method-assign]


def _views_answer(app: Flask, rv) -> Response:
    processed = g.pop(_PROCESSED, None)
    if processed is not None:  # the hooks were through; a request_finished receiver failed
        return processed
    response = app.make_response(rv)
    try:
        current = session._get_current_object()  # type: ignore[attr-defined]
        if not app.session_interface.is_null_session(current):
            app.session_interface.save_session(app, current, response)
    except Exception:
        log.exception("saving the session cookie after a database fault failed")
    response.headers["Cache-Control"] = "no-store"
    return response


def unavailable(error: BaseException, message=None):
    """The 503 page for a request the database could not serve; a bare page if even that fails.
    A public page the page cache still holds, though its time ran out, is sent instead."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path, short_error(error))
    fresh_session()
    stale = page_cache.stale_copy()
    if stale is not None:
        return stale
    if not is_statement_timeout(error):
        # The database is away: the page is drawn as for a visitor (a signed-in navbar, its bell
        # and cart, needs the database).
        g._login_user = current_app.login_manager.anonymous_user()
    try:
        body, _status = render_error(503, str(message) if message else None)
        response = body if isinstance(body, Response) else Response(body, mimetype="text/html")
    except Exception:  # the page's header may need the database too
        log.warning("the 503 page needed the database; sending a plain one")
        title, default = map(str, MESSAGES[503])
        message = str(message or default)
        response = Response(
            f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>", mimetype="text/html"
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _guard_teardown(app: Flask) -> None:
    """Wrap Flask-SQLAlchemy's ``session.remove()`` so a ROLLBACK on a closed connection is
    logged and the connection dropped, instead of raising out of the app into the server."""
    funcs = app.teardown_appcontext_funcs
    for index, func in enumerate(funcs):
        if getattr(func, "__name__", "") == "_teardown_session":
            funcs[index] = _guarded(func)


def _guarded(teardown):
    def guarded_teardown_session(exc: BaseException | None) -> None:
        try:
            if db.session.registry.has():
                commit_if_read_only()  # what an error page read: psycopg's ROLLBACK is costly
            teardown(exc)
        except Exception as error:
            log.warning("closing the database session failed (%s); dropping its connection", short_error(error))
            try:
                db.session().invalidate()
            except Exception:
                log.exception("invalidating the session failed")
            db.session.registry.clear()

    return guarded_teardown_session
