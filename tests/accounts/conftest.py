"""Helpers for the accounts tests: requests isolated like real ones, a fresh look at the database,
links out of emails, and real sign-ins through the form.

``mail`` delivers queued email and returns what one address received.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from tests.conftest import Browser, IsolatedClient
from tests.factories import PASSWORD

LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


class Store:
    """Reads and writes the database in a fresh session, as a separate request would."""

    def __init__(self, app):
        self.app = app

    def count_users(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(User))

    def user(self, email: str) -> User | None:
        with self.app.app_context():
            return db.session.scalar(select(User).where(User.email == email))

    def reload(self, user: User) -> User:
        with self.app.app_context():
            return db.session.get(User, user.id)

    def update(self, user: User, **values) -> User:
        with self.app.app_context():
            fresh = db.session.get(User, user.id)
            for name, value in values.items():
                setattr(fresh, name, value)
            db.session.commit()
            db.session.refresh(fresh)
            return fresh

    def audit_entries(self, action: str) -> list[AuditEntry]:
        with self.app.app_context():
            return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def store(app) -> Store:
    return Store(app)


@pytest.fixture
def new_browser(app):
    """Another browser (its own cookies), e.g. a second device of the same user."""
    return lambda: Browser(IsolatedClient(app, app.response_class, use_cookies=True))


@pytest.fixture
def sign_in(web):
    """Sign in through the real form, as a person would."""

    def post(email: str, password: str = PASSWORD, *, remember: bool = False, browser: Browser | None = None, **kw):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return (browser or web).post("/account/sign-in", data, **kw)

    return post


@pytest.fixture
def mail(app, outbox):
    """Deliver queued email, then return every message sent to ``to`` so far.

    Unlike the shared ``run_jobs``, this commits the jobs' finished state (as ``flask jobs
    run-once`` does); otherwise the state is rolled back with the job runner's session and the
    next run sends every email again.
    """

    def sent_to(to: str) -> list:
        with app.app_context():
            run_pending_jobs()
            db.session.commit()
        return [message for message in outbox if to in message.to]

    return sent_to


def link_in(message, path_prefix: str) -> str:
    """The path (and query) of the first link in an email's text body that starts with ``path_prefix``."""
    for url in LINK_RE.findall(message.body):
        parts = urlsplit(url)
        if parts.path.startswith(path_prefix):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no {path_prefix} link in {message.body!r}")


def text_of(response) -> str:
    """The response body with HTML entities decoded, to look for messages as a person reads them."""
    return html.unescape(response.get_data(as_text=True))


def without_signed_tokens(page: str) -> str:
    """The page with its CSRF tokens blanked: they carry a timestamp, so they differ between requests."""
    return re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "TOKEN", page)
