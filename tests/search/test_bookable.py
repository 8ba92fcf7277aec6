"""Venues that can't take paid bookings yet (no enabled payout account) say so before anyone
picks a time: they rank after every venue that can, in every order and on every page, show "Not
taking online bookings yet" instead of a next free time, and a free-window search leaves them
out. Re-indexed when their payout account changes (docs/search.md)."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.payouts.accounts import apply_state, connect_enabled_demo_account
from app.payouts.models import AccountStatus
from app.payouts.ports import AccountState
from app.platform.extensions import cache, db
from search.postgres import PostgresBackend
from search.types import SearchQuery
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payouts.helpers import connect
from tests.search.corpus import LONDON, build_corpus
from tests.search.test_broad_search import SAUNA_SPECS
from tests.search.test_postgres_backend import SHAPES as PLAN_SHAPES
from tests.search.test_postgres_backend import find_nodes, index_names, plan_of

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # every corpus venue is open (09:00-18:00 London)
UNBOOKABLE = {"Cedar Barbers", "Lotus Massage Rooms", "Amber Massage Studio", "Willow Spa"}
REINDEX = "search.reindex_venues"
# "sauna" with Birch and Elm unbookable: strong matches (name, services), then weak, among the
# bookable venues; then the others, best match first.
SAUNAS_BOOKABLE_FIRST = [
    *("Alder Rooms", "Cedar Sauna Club", "Dove Retreat", "Fir House"),
    *("Birch Sauna House", "Elm Studio"),
]


@pytest.fixture
def strict(app, monkeypatch):
    """Production's rule: a venue takes paid bookings only with an enabled payout account."""
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)


@pytest.fixture
def backend() -> PostgresBackend:
    return PostgresBackend(now=lambda: NOON)


@pytest.fixture
def corpus(ctx, make_user, backend, strict):
    """The search corpus, every venue's payouts enabled but UNBOOKABLE's (none, pending, restricted)."""
    cache.clear()
    corpus = build_corpus(make_user)
    for name, venue in corpus.venues.items():
        if name == "Lotus Massage Rooms":
            connect(venue, status=AccountStatus.PENDING)
        elif name == "Willow Spa":
            connect(venue, status=AccountStatus.RESTRICTED)
        elif name not in UNBOOKABLE:
            connect(venue)
    backend.index(corpus.ids)
    return corpus


def names(result) -> list[str]:
    return [hit.name for hit in result.hits]


def natural_order(backend, query: SearchQuery) -> list[str]:
    """The query's order as if every venue could take bookings (the index as it was before)."""
    savepoint = db.session.begin_nested()
    db.session.execute(text("UPDATE venue_search SET bookable = true"))
    try:
        return names(backend.search(query))
    finally:
        savepoint.rollback()


def bookable_first(order: list[str]) -> list[str]:
    return [n for n in order if n not in UNBOOKABLE] + [n for n in order if n in UNBOOKABLE]


SHAPES = {
    "best rated (rating index)": SearchQuery(),
    "category (its rating index)": SearchQuery(category="spa"),
    "tag": SearchQuery(tags=("walk-ins",)),
    "lowest price (price index)": SearchQuery(sort="price"),
    "price range": SearchQuery(price_min=1000, price_max=6000, sort="price"),
    "nearest first (KNN)": SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance"),
    "open now": SearchQuery(open_now=True),
    "text (one statement)": SearchQuery(text="massage"),
    "text, lowest price": SearchQuery(text="massage", sort="price"),
    "radius (one statement)": SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=10),
    "radius, nearest first": SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=10, sort="distance"),
}


@pytest.mark.parametrize("query", SHAPES.values(), ids=SHAPES.keys())
def test_venues_that_cant_take_bookings_come_after_every_one_that_can(backend, corpus, query):
    everything = dataclasses.replace(query, per_page=50)
    natural = natural_order(backend, everything)
    assert set(natural) & UNBOOKABLE and set(natural) - UNBOOKABLE  # both kinds match: the test means something
    result = backend.search(everything)
    assert names(result) == bookable_first(natural)
    assert result.total == len(natural)  # the count and the facets still hold every match
    # Page by page, across the boundary and past it: the same order, nothing twice or missing.
    pages = [backend.search(dataclasses.replace(query, per_page=2, page=n)) for n in range(1, 8)]
    assert [name for page in pages for name in names(page)] == names(result)
    assert {page.total for page in pages} == {result.total}


# -- the same plans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "query", "indexes"), PLAN_SHAPES, ids=[s[0] for s in PLAN_SHAPES])
def test_with_venues_that_cant_take_bookings_around_each_shape_still_uses_its_index(
    backend, corpus, shape, query, indexes
):
    """tests/search/test_postgres_backend.py's shapes, on an index that holds venues that can't
    take bookings: the bookable venues' page is read as before (a test on the rows it reads)."""
    _, sql, params = backend.explain(query)[0]
    used = index_names(plan_of(sql, params))
    also = {"ix_venue_search_category_rating"} if shape == "category" else set()
    assert indexes <= used or (also and also <= used), f"{shape}: plan used {used}"


@pytest.mark.parametrize(
    ("query", "index"),
    [(SearchQuery(open_now=True), "ix_venue_search_rating"), (SearchQuery(sort="price"), "ix_venue_search_price_from")],
    ids=["rating-order", "price-order"],
)
def test_the_bookable_page_still_comes_in_order_from_the_index(backend, corpus, query, index):
    (_, sql, params), _ = backend.explain(query)
    (limit,) = find_nodes(plan_of(sql, params, sorts=False), "Limit")
    (child,) = limit["Plans"]
    assert child["Node Type"] in {"Index Scan", "Index Only Scan"} and child["Index Name"] == index
    # The others, when a page ends among them, through their partial index (migration 0051).
    tail = backend.compile(query, paged="unbookable")
    assert "ix_venue_search_unbookable" in index_names(plan_of(tail.statements[0][1], tail.params))


def test_a_page_starting_past_every_bookable_venue_counts_them_to_know_where_to_start(backend, corpus):
    query = SearchQuery(per_page=3, page=4)  # 12 venues, 8 bookable: this page is the unbookable 10-12
    expected = bookable_first(natural_order(backend, SearchQuery(per_page=50)))[9:12]
    assert names(backend.search(query)) == expected


def test_a_broad_search_reads_the_bookable_matches_then_the_others(ctx, make_user, app, monkeypatch, strict):
    """More matches than the search counts (a cap of 3): the page is read through indexes in a
    bounded order (name or services first, then the rest), among the bookable venues; the
    venues that can't take bookings follow, best match first."""
    monkeypatch.setitem(app.config, "SEARCH_COUNT_CAP", 3)
    corpus = build_corpus(make_user, SAUNA_SPECS)
    unbookable = {"Birch Sauna House", "Elm Studio"}
    for name, venue in corpus.venues.items():
        if name not in unbookable:
            connect(venue)
    backend = PostgresBackend(now=lambda: NOON)
    backend.index(corpus.ids)
    result = backend.search(SearchQuery(text="sauna", per_page=50))
    assert result.total_capped
    assert names(result) == [
        "Alder Rooms",
        "Cedar Sauna Club",
        "Dove Retreat",
        "Fir House",
        "Birch Sauna House",
        "Elm Studio",
    ]
    pages = [backend.search(SearchQuery(text="sauna", per_page=4, page=n)) for n in (1, 2)]
    assert [name for page in pages for name in names(page)] == names(result)
    cheapest = backend.search(SearchQuery(text="sauna", sort="price", per_page=50))
    assert names(cheapest) == [
        "Alder Rooms",
        "Cedar Sauna Club",
        "Dove Retreat",
        "Fir House",
        "Birch Sauna House",
        "Elm Studio",
    ]


def test_a_free_window_never_offers_a_venue_that_cant_take_bookings(ctx, provider, make_user, strict):
    from app.accounts.models import Role

    payable, _ = make_bookable_venue(provider, name="Calm Rooms")
    unpayable, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Quiet Rooms")
    for venue in (payable, unpayable):
        venue.latitude, venue.longitude = LONDON
    connect(payable)
    backend = PostgresBackend()
    backend.index([payable.id, unpayable.id])
    start = future_slot(days=2, hour=10)
    window = {"free_from": start, "free_to": start + timedelta(hours=2)}
    assert names(backend.search(SearchQuery(**window))) == ["Calm Rooms"]
    assert names(backend.search(SearchQuery(text="rooms", **window))) == ["Calm Rooms"]
    near = SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=50, sort="distance", **window)
    assert names(backend.search(near)) == ["Calm Rooms"]
    assert names(backend.search(SearchQuery(text="rooms"))) == ["Calm Rooms", "Quiet Rooms"]  # found, after


def test_with_payouts_collected_before_enabled_every_venue_is_bookable(ctx, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", True)
    corpus = build_corpus(make_user)
    backend = PostgresBackend()
    backend.index(corpus.ids)
    assert all(hit.document.bookable for hit in backend.search(SearchQuery(per_page=50)).hits)
    backend.reindex_all()
    assert db.session.execute(text("SELECT count(*) FROM venue_search WHERE NOT bookable")).scalar_one() == 0


def test_the_full_reindex_agrees_with_the_per_venue_indexer(backend, corpus):
    per_venue = dict(db.session.execute(text("SELECT venue_id, bookable FROM venue_search")).all())
    backend.reindex_all()
    assert dict(db.session.execute(text("SELECT venue_id, bookable FROM venue_search")).all()) == per_venue
    assert {corpus.name_of(i) for i, bookable in per_venue.items() if not bookable} == UNBOOKABLE


# -- kept current ----------------------------------------------------------------------------------


def reindex_jobs() -> list[list[int]]:
    rows = db.session.execute(
        text("SELECT args FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"), {"task": REINDEX}
    ).scalars()
    return [args["venue_ids"] for args in rows]


def test_a_payout_account_becoming_enabled_or_restricted_reindexes_its_venue(ctx, provider, strict, run_jobs):
    venue, _ = make_bookable_venue(provider, name="Orchid Massage Loft")
    db.session.commit()
    run_jobs()
    assert [h.document.bookable for h in PostgresBackend().search(SearchQuery(text="orchid")).hits] == [False]
    account = connect(venue, status=AccountStatus.PENDING)
    db.session.commit()
    db.session.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = :task"), {"task": REINDEX})

    enabled = AccountState(account.account_id, details_submitted=True, charges_enabled=True, payouts_enabled=True)
    apply_state(account, enabled)
    db.session.commit()
    assert reindex_jobs() == [[venue.id]]  # enqueued with the change, at its commit
    run_jobs()
    assert [h.document.bookable for h in PostgresBackend().search(SearchQuery(text="orchid")).hits] == [True]

    restricted = AccountState(
        account.account_id, details_submitted=True, charges_enabled=False, payouts_enabled=False,
        requirements=("external_account",),
    )  # fmt: skip
    apply_state(account, restricted)
    db.session.commit()
    run_jobs()
    assert [h.document.bookable for h in PostgresBackend().search(SearchQuery(text="orchid")).hits] == [False]


def test_a_demo_account_connected_by_the_seed_reindexes_its_venue(ctx, provider, strict, run_jobs):
    venue, _ = make_bookable_venue(provider, name="Orchid Massage Loft")
    db.session.commit()
    run_jobs()
    connect_enabled_demo_account(venue)
    db.session.commit()
    assert reindex_jobs()[-1] == [venue.id]
    run_jobs()
    assert [h.document.bookable for h in PostgresBackend().search(SearchQuery(text="orchid")).hits] == [True]


# -- what the cards say ----------------------------------------------------------------------------


def cards(page: str) -> dict[str, str]:
    """Each result card's text, by venue name, in the page's order."""
    found = {}
    for article in re.findall(r"<article\b.*?</article>", page, re.S):
        name = re.search(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', article).group(1)
        found[html.unescape(name)] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())
    return found


NEXT_FREE = re.compile(r"Next free: |No free times in the next")


@pytest.mark.parametrize("path", ["/search?q=massage", "/search", "/c/spa"])
def test_cards_say_a_venue_isnt_taking_bookings_yet_instead_of_a_free_time(client, corpus, path):
    response = client.get(path)
    assert response.status_code == 200
    found = cards(response.get_data(as_text=True))
    assert found and set(found) & UNBOOKABLE
    for name, card in found.items():
        if name in UNBOOKABLE:
            assert "Not taking online bookings yet" in card and not NEXT_FREE.search(card), name
        else:
            assert NEXT_FREE.search(card) and "Not taking online bookings yet" not in card, name
    listed = list(found)
    assert listed == bookable_first(listed)  # and they come last


def test_home_shelves_say_so_too(client, ctx, make_user, strict):
    """Two venues of twelve take bookings: every shelf of six shows them first, then the others."""
    cache.clear()
    corpus = build_corpus(make_user)
    bookable = {"Juniper Hair House", "Café Zoë Nails"}
    for name in bookable:
        connect(corpus.venues[name])
    PostgresBackend().index(corpus.ids)
    page = client.get("/").get_data(as_text=True)
    shelf = re.compile(r'<section [^>]*aria-labelledby="(top|near)-heading".*?</section>', re.S)
    shelves = {found.group(1): cards(found.group(0)) for found in shelf.finditer(page)}
    assert set(shelves) == {"top", "near"}  # top rated (here: lowest prices first) and near London
    for found in shelves.values():
        listed = list(found)
        assert len(listed) == 6 and set(listed[:2]) == bookable  # the bookable ones first
        for name, card in found.items():
            assert ("Not taking online bookings yet" in card) == (name not in bookable), name
            assert bool(NEXT_FREE.search(card)) == (name in bookable), name
