"""Venue changes reach the index through one job enqueued in the same transaction."""

from __future__ import annotations

from sqlalchemy import text

from app.platform.extensions import db
from app.venues import approval
from app.venues.models import Category, VenueStatus
from app.venues.service import save_service, update_basics
from search.backend import get_version
from search.postgres import PostgresBackend
from search.types import SearchQuery
from tests.booking.helpers import make_bookable_venue

TASK = "search.reindex_venues"


def reindex_jobs() -> list[list[int]]:
    rows = db.session.execute(
        text("SELECT args FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"), {"task": TASK}
    ).scalars()
    return [args["venue_ids"] for args in rows]


def clear_jobs() -> None:
    db.session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = :task"), {"task": TASK})
    db.session.commit()


def find(name: str) -> list[str]:
    return [hit.name for hit in PostgresBackend().search(SearchQuery(text=name)).hits]


def pending_venue(provider, name: str = "Orchid Massage Loft"):
    venue, service = make_bookable_venue(provider, name=name)
    venue.status = VenueStatus.PENDING_REVIEW
    db.session.commit()
    clear_jobs()
    return venue, service


def test_approving_enqueues_one_reindex_job_in_the_same_transaction(ctx, provider, admin):
    venue, _ = pending_venue(provider)

    approval.transition(venue, "approve", actor=admin, notify=False)
    db.session.flush()
    assert reindex_jobs() == []  # nothing until the commit, which enqueues before it finishes

    db.session.commit()
    assert reindex_jobs() == [[venue.id]]


def test_a_rolled_back_change_leaves_no_job(ctx, provider, admin):
    venue, _ = pending_venue(provider)

    approval.transition(venue, "approve", actor=admin, notify=False)
    db.session.flush()
    db.session.rollback()

    assert reindex_jobs() == []
    db.session.commit()  # the next commit has nothing left over to enqueue
    assert reindex_jobs() == []


def test_many_changes_in_one_commit_make_one_job(ctx, provider, make_user):
    from app.accounts.models import Role

    first, _ = make_bookable_venue(provider, name="First Rooms")
    second, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Second Rooms")
    db.session.commit()
    assert reindex_jobs() == [sorted([first.id, second.id])]


def test_approved_venue_is_searchable_after_the_job_runs(ctx, provider, admin, run_jobs):
    venue, _ = pending_venue(provider)
    assert find("orchid") == []

    approval.transition(venue, "approve", actor=admin, notify=False)
    db.session.commit()
    version = get_version()
    assert find("orchid") == []  # indexed by the job, not by the request
    assert run_jobs() == [f"{TASK}:succeeded"]

    assert find("orchid") == ["Orchid Massage Loft"]
    assert get_version() != version  # cached results are invalidated
    assert reindex_jobs() == []  # the job's own writes enqueue nothing


def test_editing_a_service_price_updates_price_from(ctx, provider, run_jobs):
    venue, service = make_bookable_venue(provider, name="Orchid Massage Loft")
    db.session.commit()
    run_jobs()
    (hit,) = PostgresBackend().search(SearchQuery(text="orchid")).hits
    assert hit.document.price_from == 6000

    save_service(
        venue,
        service,
        name=service.name,
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=4200,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    db.session.commit()
    run_jobs()

    (hit,) = PostgresBackend().search(SearchQuery(text="orchid")).hits
    assert hit.document.price_from == 4200
    assert PostgresBackend().search(SearchQuery(text="orchid", price_max=4500)).total == 1


def test_suspending_removes_the_venue_and_reinstating_brings_it_back(ctx, provider, admin, run_jobs):
    venue, _ = make_bookable_venue(provider, name="Orchid Massage Loft")
    db.session.commit()
    run_jobs()
    assert find("orchid") == ["Orchid Massage Loft"]

    approval.transition(venue, "suspend", actor=admin, reason="Complaints.", notify=False)
    db.session.commit()
    run_jobs()
    assert find("orchid") == []
    assert "Orchid Massage Loft" not in PostgresBackend().suggest("orchid")

    approval.transition(venue, "reinstate", actor=admin, notify=False)
    db.session.commit()
    run_jobs()
    assert find("orchid") == ["Orchid Massage Loft"]


def test_renaming_a_category_reindexes_its_venues(ctx, provider, run_jobs):
    venue, _ = make_bookable_venue(provider, name="Orchid Rooms")
    category = db.session.scalar(db.select(Category).where(Category.slug == "massage"))
    update_basics(
        venue, name=venue.name, description="", category_id=category.id, tags=[], phone="", email="", website=""
    )
    db.session.commit()
    run_jobs()

    category.name = "Massage and bodywork"
    db.session.commit()
    assert reindex_jobs() == [[venue.id]]
    run_jobs()
    assert find("bodywork") == ["Orchid Rooms"]


def test_changes_search_does_not_use_enqueue_nothing(ctx, provider):
    venue, _ = make_bookable_venue(provider)
    db.session.commit()
    clear_jobs()

    venue.calendar_token = "t" * 40
    venue.status_reason = "noted"
    db.session.commit()
    assert reindex_jobs() == []


def test_flask_search_reindex_rebuilds_everything_with_progress(app, ctx, provider):
    venue, _ = make_bookable_venue(provider, name="Orchid Massage Loft")
    db.session.flush()
    db.session.execute(text("DELETE FROM venue_search"))
    assert find("orchid") == []

    result = app.test_cli_runner().invoke(args=["search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "Indexing venues (postgres)" in result.output
    assert "Indexed 1 venue(s)." in result.output
    assert find("orchid") == ["Orchid Massage Loft"]
    assert venue.id in {h.venue_id for h in PostgresBackend().search(SearchQuery()).hits}


INDEX_ROW_SQL = """
SELECT venue_id, slug, name, description, category, category_name, tags, service_names, city, lat, lng, price_from,
       currency, rating, review_count, cover_thumb, timezone, updated_at, week_hours::text, closed_days::text,
       search_vector::text, earth::text
FROM venue_search ORDER BY venue_id"""


def index_state() -> tuple[list[tuple], list[tuple], list[tuple]]:
    return (
        [tuple(r) for r in db.session.execute(text(INDEX_ROW_SQL))],
        [tuple(r) for r in db.session.execute(text("SELECT * FROM venue_search_terms ORDER BY 1, 2, 3"))],
        [
            tuple(r)
            for r in db.session.execute(
                text(
                    "SELECT * FROM venue_search_facet_cells"
                    " ORDER BY kind, timezone, week_hours, category, category_name, price_b, rating_b, tag, price"
                )
            )
        ],
    )


def test_the_set_based_full_reindex_writes_what_the_per_venue_indexer_writes(ctx, make_user):
    """pg_index.reindex_all builds rows in SQL; index_venues through build_document in Python.
    The corpus, plus the cases each has to agree on: a cover that is not the first image, a cover
    without a "card" variant, no images, an inactive and a repeated service, a closure, split
    hours, no category, a rating, a venue with no services, a suspended venue."""
    from datetime import date

    from app.venues.models import Closure, OpeningHours, VenueImage
    from search import pg_index
    from tests.search.corpus import build_corpus

    corpus = build_corpus(make_user)
    venues = list(corpus.venues.values())
    first, second, third, fourth = venues[:4]
    first.images = [
        VenueImage(kind="venue", alt_text="a", position=0, variants={"card": {"key": "a/card.webp"}}),
        VenueImage(
            kind="venue", alt_text="b", position=1, is_cover=True, variants={"thumb": {"key": "b/thumb.webp"}, "x": {}}
        ),
    ]
    second.images = []
    second.category_id = None
    second.rating, second.review_count = 4.35, 12
    third.services[0].is_active = False
    third.services.append(type(third.services[0])(name=third.services[1].name.upper(), category_id=None,
                          duration_minutes=30, price_minor=1, position=9))  # fmt: skip
    third.closures = [Closure(starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 26), reason="Christmas")]
    fourth.opening_hours = []
    db.session.flush()
    fourth.opening_hours = [
        OpeningHours(weekday=0, opens_minute=540, closes_minute=720),
        OpeningHours(weekday=0, opens_minute=780, closes_minute=1020),
        OpeningHours(weekday=6, opens_minute=600, closes_minute=960),
    ]
    venues[4].services = []
    db.session.flush()

    db.session.execute(text("DELETE FROM venue_search"))
    PostgresBackend().index(corpus.ids)  # every venue: the ones not approved are left out
    per_venue = index_state()
    db.session.execute(text("DELETE FROM venue_search"))
    steps = []
    count = pg_index.reindex_all(lambda done, total: steps.append((done, total)))
    set_based = index_state()

    assert per_venue[0] and per_venue[1] and per_venue[2]
    assert set_based == per_venue
    assert count == len(per_venue[0]) and steps[0] == (0, count) and steps[-1] == (count, count)
