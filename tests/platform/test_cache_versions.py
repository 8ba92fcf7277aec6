"""Cache versions every process sees: bumped in the writer's transaction, read at most once per
CACHE_VERSION_TTL, and proved across two app instances on one database."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text

from app import create_app
from app.accounts.models import Role, User
from app.checkout.checkout import checkout
from app.platform import cache_versions
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.venues import approval
from app.venues.lists import add_faq
from app.venues.models import Category, Venue
from app.venues.service import update_basics
from search.backend import get_backend
from tests.booking.helpers import make_bookable_venue, put_in_cart
from tests.conftest import IsolatedClient
from tests.factories import UserFactory


@contextmanager
def statements():
    """Collect the SQL statements sent through the engine meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def memo_ttl(app, monkeypatch):
    def set_ttl(seconds: float) -> None:
        monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", seconds)
        cache_versions.forget()

    yield set_ttl
    cache_versions.forget()


def test_a_bump_gives_a_new_version_inside_the_transaction(ctx):
    before = cache_versions.current()
    bumped = cache_versions.bump()
    assert bumped != before
    assert cache_versions.current() == bumped  # the writer sees its own bump


def test_a_rolled_back_bump_never_comes_back(ctx):
    before = cache_versions.current()
    savepoint = db.session.begin_nested()
    inside = cache_versions.bump()
    savepoint.rollback()
    assert cache_versions.current() == before
    assert cache_versions.bump() not in (before, inside)  # nothing cached under `inside` is ever served


def test_reads_are_memoised_for_the_ttl(ctx, memo_ttl):
    memo_ttl(60)
    with statements() as first:
        version = cache_versions.current()
    with statements() as again:
        assert cache_versions.current() == version
    assert len(first) == 1 and again == []
    cache_versions.forget()
    with statements() as after_forget:
        cache_versions.current()
    assert len(after_forget) == 1


def test_a_commit_bumps_all_its_namespaces_in_one_statement(ctx, provider, customer):
    """A hold bumps the customer's pages and the venue's free times: one statement for both."""
    venue, service = make_bookable_venue(provider)
    put_in_cart(customer, service)
    db.session.commit()
    mine, times = cache_versions.user_namespace(customer.id), cache_versions.venue_times(venue.id)
    before = {mine: cache_versions.current(mine), times: cache_versions.current(times)}
    checkout(customer)
    with statements() as sent:
        db.session.commit()
    assert len([s for s in sent if "INSERT INTO cache_versions" in s]) == 1, sent
    after = {mine: cache_versions.current(mine), times: cache_versions.current(times)}
    assert after[mine] != before[mine] and after[times] != before[times]
    assert after[mine] != after[times]  # each its own value of the sequence


def test_a_committed_venue_edit_bumps_the_public_version(ctx, provider):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    before = cache_versions.current()
    update_basics(
        venue,
        name=venue.name,
        description="Now with a sauna.",
        category_id=None,
        tags="",
        phone="",
        email="",
        website="",
    )
    assert cache_versions.current() == before  # nothing until the commit
    db.session.commit()
    assert cache_versions.current() != before


def test_a_committed_faq_bumps_the_public_version(ctx, provider):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    before = cache_versions.current()
    add_faq(venue, question="Is there parking?", answer="Yes, behind the building.")
    db.session.commit()
    assert cache_versions.current() != before


def test_a_change_public_pages_do_not_show_leaves_the_version_alone(ctx, customer):
    db.session.commit()
    before = cache_versions.current()
    customer.name = "Chloe Renamed"
    db.session.commit()
    assert cache_versions.current() == before


def test_a_rolled_back_edit_bumps_nothing(ctx, provider):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    before = cache_versions.current()
    venue.description = "Never saved."
    db.session.flush()
    db.session.rollback()
    assert cache_versions.current() == before


def test_writing_the_search_index_bumps_the_version_in_its_transaction(ctx, provider):
    venue, _ = make_bookable_venue(provider)
    db.session.flush()
    before = cache_versions.current()
    get_backend().index([venue.id])
    assert cache_versions.current() != before


def test_suspending_a_venue_takes_it_out_of_the_index_in_the_same_transaction(ctx, provider, admin):
    venue, _ = make_bookable_venue(provider)
    get_backend().index([venue.id])
    db.session.commit()
    approval.transition(venue, "suspend", actor=admin, reason="Complaints", notify=False)
    db.session.commit()
    listed = db.session.scalar(text("SELECT count(*) FROM venue_search WHERE venue_id = :id"), {"id": venue.id})
    assert listed == 0  # no worker needed


# -- two app instances on one database ----------------------------------------------------------


def names_on(client, path: str) -> str:
    response = client.get(path)
    return f"{response.status_code} {response.get_data(as_text=True)}"


@pytest.mark.committing
@pytest.mark.slow
def test_a_suspension_by_one_instance_vanishes_from_another_within_two_seconds(app, database_url, tmp_path):
    overrides = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_ROOT": str(tmp_path),
        "CACHE_VERSION_TTL": 1.0,  # the production default, so the bound is the real one
        "PAGE_CACHE_ENABLED": True,
    }
    web = create_app("testing", overrides=overrides)  # instance 1: serves the public pages
    admin_app = create_app("testing", overrides=overrides)  # instance 2: where the admin works
    word = f"Zephyr{uuid.uuid4().hex[:8]}"
    name = f"{word} Rooms"
    with admin_app.app_context(), admin_app.test_request_context():
        owner = UserFactory(role=Role.PROVIDER, email=f"{word.lower()}-owner@example.com")
        admin = UserFactory(role=Role.ADMIN, email=f"{word.lower()}-admin@example.com")
        venue, service = make_bookable_venue(owner, name=name)
        massage = db.session.scalar(select(Category).where(Category.slug == "massage"))
        venue.category_id = massage.id
        venue.city, venue.latitude, venue.longitude = "London", 51.5072, -0.1276
        service.price_minor = 100  # the cheapest venue, so the home page's shelf shows it
        db.session.commit()
        run_pending_jobs()  # the reindex job, as a worker would
        db.session.commit()
        ids = {"venue": venue.id, "owner": owner.id, "admin": admin.id, "slug": venue.slug}
    pages = ["/", f"/search?q={word}", "/c/massage", f"/venues/{ids['slug']}"]
    reader = IsolatedClient(web, web.response_class, use_cookies=False)
    try:
        for path in pages:
            assert name in names_on(reader, path), path
            hit = reader.get(path)
            assert hit.headers.get("X-Page-Cache") == "hit", path  # instance 1 serves it from its cache
            assert name in hit.get_data(as_text=True)

        with admin_app.app_context(), admin_app.test_request_context():
            venue = db.session.get(Venue, ids["venue"])
            approval.transition(venue, "suspend", actor=db.session.get(User, ids["admin"]), reason="Complaints")
            db.session.commit()
        suspended_at = time.monotonic()

        # When did each page stop listing it? The start of the first request that no longer
        # did (from then on every request sees the newer version), not its end: a slow render
        # on a busy machine is not the cache's delay.
        gone_at: dict[str, float] = {}
        while len(gone_at) < len(pages) and time.monotonic() - suspended_at < 5:
            for path in pages:
                if path not in gone_at:
                    started = time.monotonic()
                    if name not in names_on(reader, path):
                        gone_at[path] = started - suspended_at
            time.sleep(0.02)
        assert set(gone_at) == set(pages), f"still listed after 5 s on {set(pages) - set(gone_at)}"
        assert max(gone_at.values()) <= 2.0, gone_at
        assert reader.get(f"/venues/{ids['slug']}").status_code == 404
    finally:
        with admin_app.app_context():
            db.session.execute(text("DELETE FROM venues WHERE id = :id"), {"id": ids["venue"]})
            db.session.execute(
                text("DELETE FROM audit_log WHERE subject_type = 'venue' AND subject_id = :id"), {"id": ids["venue"]}
            )
            db.session.execute(text("DELETE FROM users WHERE id IN (:owner, :admin)"), ids)
            db.session.execute(text("DELETE FROM procrastinate_jobs"))
            db.session.commit()
