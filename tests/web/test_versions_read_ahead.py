"""A signed-in request reads the versions it needs in one statement (app/platform/cache_versions.py,
``expect``): the session cookie names the browser's own namespaces before anything is loaded, so
the first read that must ask the database, once this worker's memo has run out, asks for them all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import session
from sqlalchemy import event

from app.accounts.models import Role
from app.platform import cache_versions
from app.platform.extensions import db
from tests.conftest import Browser
from tests.statements import statements_sent


def version_reads(sent: list[str]) -> list[str]:
    return [s for s in sent if "FROM cache_versions" in s]


@pytest.fixture
def customer(make_user, private_pages):
    person = make_user(role=Role.CUSTOMER, name="Vera Versions")
    db.session.commit()
    return person


@pytest.fixture
def web(app, customer):
    """The customer's browser, landed on a page (its session holds a CSRF secret)."""
    browser = Browser.own(app, customer)
    assert browser.get("/account/profile").status_code == 200
    return browser


def test_a_copy_served_after_the_memo_ran_out_reads_its_versions_once(web, customer):
    assert web.get("/bookings").headers["X-Private-Cache"] == "miss"
    cache_versions.forget()  # more than CACHE_VERSION_TTL later
    with statements_sent() as sent:
        page = web.get("/bookings")
    assert page.headers["X-Private-Cache"] == "hit"
    assert len(version_reads(sent)) == 1, sent
    assert len(sent) == 1, sent  # the copy: nothing else is read


def test_a_rendered_page_reads_its_versions_once(web, customer):
    web.get("/bookings")
    cache_versions.forget()
    with statements_sent() as sent:
        page = web.get("/bookings?tab=past")
    assert page.status_code == 200
    assert page.headers["X-Private-Cache"] == "miss"
    assert len(version_reads(sent)) == 1, sent


def test_a_version_changed_elsewhere_shows_once_the_memo_ran_out(web, customer):
    """Reading the versions together still reads each afresh: another worker's change to one of
    them ends the copy."""
    assert web.get("/bookings").headers["X-Private-Cache"] == "miss"
    cache_versions.forget()
    db.session.execute(cache_versions.BUMP_SQL, {"namespace": cache_versions.user_namespace(customer.id)})
    db.session.commit()  # another worker's change: this one is not told
    assert web.get("/bookings").headers["X-Private-Cache"] == "miss"


def test_a_cookie_naming_someone_else_gets_no_page(web, make_user, customer):
    """The read ahead takes the user id from the cookie before the session is checked: a forged
    id gets its versions read, never its pages."""
    other = make_user(role=Role.CUSTOMER, name="Otto Other")
    db.session.commit()
    with web.client.session_transaction() as session:
        _, _, rest = session["_user_id"].partition(":")
        session["_user_id"] = f"{other.id}:{rest}"
    cache_versions.forget()
    page = web.get("/bookings")
    assert page.status_code in (302, 303)
    assert "/account/sign-in" in page.headers["Location"]


@contextmanager
def versions_asked() -> Iterator[list[list[str]]]:
    """The namespaces each version read inside the block asked for, in order."""
    asked: list[list[str]] = []

    def record(conn, cursor, statement, parameters, *args) -> None:
        if isinstance(parameters, dict) and "namespaces" in parameters:
            asked.append(parameters["namespaces"])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield asked
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        cache_versions.forget()


def read_asked(app) -> list[list[str]]:
    """The namespaces each version read asked for, when a request expecting two reads a third."""
    with versions_asked() as asked, app.test_request_context("/"):
        cache_versions.forget()
        cache_versions.expect("user:1", "account:1")
        cache_versions.current("public")
        cache_versions.current("user:1")
        cache_versions.current("account:1")
    return asked


def test_expected_versions_are_read_with_the_first(app, monkeypatch):
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 60)
    assert read_asked(app) == [["account:1", "public", "user:1"]]


def test_nothing_is_read_ahead_when_nothing_is_memoised(app, monkeypatch):
    """With CACHE_VERSION_TTL 0 each read asks for its own namespace only: what it read ahead
    would be thrown away."""
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 0)
    assert read_asked(app) == [["public"], ["user:1"], ["account:1"]]


def test_a_version_the_browser_changed_is_read_ahead_with_those_run_out(app, monkeypatch):
    """Just after a change of its own (a booking paid, an item added) a browser reads the
    namespaces it changed afresh once (``own_change_unread``), memoised or not: in the same
    statement as the ones that ran out, not in one of its own later in the request."""
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 60)
    with versions_asked() as asked:
        with app.app_context(), app.test_request_context("/"):  # a request of its own (its own g)
            cache_versions.forget()
            cache_versions.read(["user:1", "account:1"])  # both memoised by an earlier request
        cache_versions.forget("account:1")  # then this one ran out, the other is still fresh
        asked.clear()
        with app.app_context(), app.test_request_context("/"):
            session[cache_versions.OWN_CHANGE] = time.time() + 5
            session[cache_versions.OWN_CHANGED] = ["user:1"]
            cache_versions.expect("user:1", "account:1")
            cache_versions.current("account:1")
            cache_versions.current("user:1")
    assert asked == [["account:1", "user:1"]]
