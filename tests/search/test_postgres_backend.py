"""The PostgreSQL backend beyond the contract: index use, safe highlights, parameter checks,
"open now" in each venue's time zone, "free in this window", documents and caching."""

from __future__ import annotations

import json
import math
import sys
import types
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from app.booking.models import TimeBlock
from app.platform.extensions import db
from app.venues.hours import Range, is_open_at
from app.venues.models import Closure, OpeningHours, Venue
from search import pg_sql
from search.documents import build_document, load_documents
from search.postgres import PostgresBackend
from search.types import InvalidQuery, SearchQuery
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.search.corpus import LONDON, build_corpus

# -- every main query shape can use its index ------------------------------------------------------


def index_names(plan) -> set[str]:
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.add(plan["Index Name"])
        for value in plan.values():
            found |= index_names(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= index_names(value)
    return found


def plan_of(sql: str, params: dict, *, sorts: bool = True) -> list:
    """EXPLAIN with sequential scans off: on a small table the planner would rightly scan it;
    this shows whether an index CAN serve the shape. The table is analyzed first, inside the
    test's transaction, so the plan depends on this corpus alone, not on whatever statistics
    the tests before it left (a full run once planned the tag filter on the rating index)."""
    db.session.execute(text("ANALYZE venue_search"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    if not sorts:  # whether an index CAN give the order: on a few rows a sort is rightly cheaper
        db.session.execute(text("SET LOCAL enable_sort = off"))
    return db.session.execute(text("EXPLAIN (FORMAT JSON) " + sql), params).scalar_one()


def count_statements(run) -> list[str]:
    """The SQL statements ``run()`` sends on the session's connection."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return statements


SHAPES = [
    ("text", SearchQuery(text="massage"), {"ix_venue_search_search_vector"}),
    ("typo", SearchQuery(text="masage"), {"ix_venue_search_search_vector"}),
    ("radius", SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=5), {"ix_venue_search_earth"}),
    # Words within a radius: their venues in the circle's map cells (migration 0047).
    (
        "text_radius",
        SearchQuery(text="nails", lat=LONDON[0], lng=LONDON[1], radius_km=5),
        {"ix_venue_search_word_cells"},
    ),
    ("distance_sort", SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance"), {"ix_venue_search_earth"}),
    ("category", SearchQuery(category="spa"), {"ix_venue_search_category"}),
    ("tags", SearchQuery(tags=("parking",)), {"ix_venue_search_tags"}),
    ("price", SearchQuery(price_min=1000, price_max=3000, sort="price"), {"ix_venue_search_price_from"}),
    ("rating", SearchQuery(min_rating=4.0, sort="rating"), {"ix_venue_search_rating"}),
    # No text: rating order straight from the index that holds the whole sort key, whatever
    # the planner guesses of the hours test.
    ("open_now", SearchQuery(open_now=True), {"ix_venue_search_rating"}),
]


NARROWING = {"text", "typo", "radius", "text_radius"}


@pytest.mark.parametrize(("shape", "query", "indexes"), SHAPES, ids=[s[0] for s in SHAPES])
def test_each_query_shape_uses_its_index(backend, corpus, shape, query, indexes):
    statements = backend.explain(query)
    # Text or a radius: one statement reads the matches once for the page and the facets.
    expected = ["search"] if shape in NARROWING else ["hits", "facets"]
    assert [name for name, _, _ in statements] == expected
    _, sql, params = statements[0]
    used = index_names(plan_of(sql, params))
    # A category's page may also walk its rating-ordered index (migration 0035).
    also = {"ix_venue_search_category_rating"} if shape == "category" else set()
    assert indexes <= used or (also and also <= used), f"{shape}: plan used {used}"


def test_facets_of_other_shapes_are_a_second_statement_with_the_same_filters(backend, corpus):
    # Two tags at once, which the cells can't tell apart: the rows are counted.
    query = SearchQuery(category="spa", tags=("parking", "gift cards"))
    _, (_, facets_sql, _) = backend.explain(query)
    assert "vs.category = :category" in facets_sql
    assert backend.search(query).facets["category"].values
    # A category alone: the facets are summed from the cells (tests/search/test_facet_cells.py).
    _, (_, facets_sql, _) = backend.explain(SearchQuery(category="spa"))
    assert "FROM venue_search_facet_cells" in facets_sql and "category = :cell_category" in facets_sql
    assert backend.search(SearchQuery(category="spa")).facets["category"].values
    # Without "open now", the cells without the hours (kind "b", migration 0041); "open now"
    # alone reads the weekly profiles (migration 0043), not the cells.
    assert "kind = 'b'" in facets_sql and "kind = 'v'" not in facets_sql
    _, (_, open_sql, _) = backend.explain(SearchQuery(open_now=True))
    assert "venue_search_open_profiles" in open_sql and "venue_search_facet_cells" not in open_sql


def test_distance_sort_walks_the_gist_index_nearest_first(backend, corpus):
    (_, sql, params), _ = backend.explain(SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance"))  # hits, facets
    plan = json.dumps(plan_of(sql, params))
    assert '"Index Name": "ix_venue_search_earth"' in plan
    assert '"Order By"' in plan  # a KNN scan, not a sort of every row


def test_suggest_uses_the_trigram_index(backend, corpus):
    from search.pg_text import SUGGEST_SQL

    params = {"starts": "mas%", "inside": "% mas%", "limit": 8}
    # On a table this small a full walk of the primary key stands in for the disabled seq scan;
    # turn plain index scans off too so the plan shows what can answer the condition.
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    assert "ix_venue_search_suggestions_term_key_trgm" in index_names(plan_of(SUGGEST_SQL, params))
    assert backend.suggest("masage")[0] == "Massage"  # a typo still completes


def test_typo_correction_reads_the_vocabulary_through_its_trigram_index(backend, corpus):
    from search.pg_text import CORRECTIONS_SQL, TYPO_CANDIDATES

    params = {"words": ["masage"], "swaps": ["amsage", "msaage"], "candidates": TYPO_CANDIDATES}
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    assert "ix_venue_search_words_word_trgm" in index_names(plan_of(CORRECTIONS_SQL, params))


# -- highlights ---------------------------------------------------------------------------------------


def test_highlight_marks_matches_and_escapes_everything_else(backend, corpus):
    venue = corpus.venues["Lotus Massage Rooms"]
    venue.description = "Calm massage rooms <script>alert('x')</script> & hot stones for tired <b>backs</b>."
    backend.index([venue.id])

    (hit,) = backend.search(SearchQuery(text="lotus")).hits
    (massage_hit,) = [h for h in backend.search(SearchQuery(text="massage")).hits if h.venue_id == venue.id]

    assert "<script" not in hit.highlight and "<b>" not in hit.highlight
    assert "&lt;script&gt;" in massage_hit.highlight
    assert "&amp; hot stones" in massage_hit.highlight
    assert "<mark>massage</mark>" in massage_hit.highlight
    assert massage_hit.highlight.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_highlight_marks_accented_words_found_without_accents(backend, corpus):
    venue = corpus.venues["Café Zoë Nails"]
    venue.description = "Café Zoë paints nails beautifully."
    backend.index([venue.id])
    (hit,) = backend.search(SearchQuery(text="cafe")).hits
    assert "<mark>Café</mark>" in hit.highlight


def test_without_text_the_highlight_is_the_escaped_description(backend, corpus):
    venue = corpus.venues["Cedar Barbers"]
    venue.description = "Fades & <i>beards</i>"
    backend.index([venue.id])
    (hit,) = backend.search(SearchQuery(category="barber")).hits
    assert hit.highlight == "Fades &amp; &lt;i&gt;beards&lt;/i&gt;"


# -- bad parameters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lat": 51.5, "lng": -0.1, "radius_km": -1}, "radius must be more than 0"),
        ({"lat": 91, "lng": 0}, "Latitude must be between -90 and 90"),
        ({"page": 0}, "page must be 1 or more"),
        ({"per_page": 500}, "between 1 and 50 results"),
        ({"sort": "nearest"}, "Sort by one of: relevance, distance, price, rating"),
    ],
    ids=["negative-radius", "latitude-91", "page-0", "per-page-500", "unknown-sort"],
)
def test_bad_parameters_raise_invalid_query_with_a_message(params, message):
    with pytest.raises(InvalidQuery, match=message):
        SearchQuery(**params)


# -- open now: SQL in the venue's zone agrees with app.venues.hours.is_open_at ----------------------------


def test_open_now_agrees_with_is_open_at_across_zones_closures_and_dst(ctx, make_user):
    corpus = build_corpus(make_user)
    london = corpus.venues["Lotus Massage Rooms"]
    new_york = corpus.venues["Cedar Barbers"]
    closed = corpus.venues["Willow Spa"]
    new_york.timezone = "America/New_York"
    for venue in (london, new_york):
        venue.opening_hours = []
    db.session.flush()  # old ranges out before the new ones go in (no overlap, even for a moment)
    for venue in (london, new_york):
        venue.opening_hours = [
            OpeningHours(weekday=6, opens_minute=0, closes_minute=3 * 60),  # Sunday 00:00-03:00
            OpeningHours(weekday=6, opens_minute=22 * 60, closes_minute=24 * 60),  # Sunday 22:00-24:00
            OpeningHours(weekday=0, opens_minute=9 * 60, closes_minute=17 * 60),
        ]
    closed.closures = [Closure(starts_on=date(2026, 3, 30), ends_on=date(2026, 3, 31), reason="Holiday")]
    db.session.flush()
    venues = [london, new_york, closed]
    moments = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # London's spring-forward night, before the jump
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 02:30 BST: the hour that did not exist is skipped
        datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # Sunday 23:30 BST
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # Monday 09:00 BST; Willow Spa closed that day
        datetime(2026, 3, 30, 13, 59, tzinfo=UTC),  # Monday 09:59 in New York (EDT)
        datetime(2026, 3, 30, 16, 0, tzinfo=UTC),  # Monday 17:00 BST: closing time is not open
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # New York's fall-back night (01:30 EDT)
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # 01:30 EST, the repeated hour
    ]
    for moment in moments:
        backend = PostgresBackend(now=lambda moment=moment: moment)
        backend.index([v.id for v in venues])
        found = {h.venue_id for h in backend.search(SearchQuery(open_now=True, per_page=50)).hits}
        expected = {
            v.id
            for v in venues
            if is_open_at(
                {
                    d: [Range(h.opens_minute, h.closes_minute) for h in v.opening_hours if h.weekday == d]
                    for d in range(7)
                },
                [(c.starts_on, c.ends_on) for c in v.closures],
                moment,
                v.timezone,
            )
        }
        assert found == expected, moment


# -- free in a window: the slot engine decides ---------------------------------------------------------


def test_free_window_returns_only_venues_that_can_take_a_booking_then(ctx, make_user, provider, backend):
    from app.accounts.models import Role

    open_venue, _ = make_bookable_venue(provider, name="Calm Rooms")
    busy_venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Busy Rooms")
    start = future_slot(days=3, hour=10)
    end = start + timedelta(hours=2)
    db.session.add(TimeBlock(venue_id=busy_venue.id, starts_at=start - timedelta(hours=1), ends_at=end))
    for venue in (open_venue, busy_venue):
        venue.latitude, venue.longitude = LONDON
    db.session.flush()
    backend.index([open_venue.id, busy_venue.id])

    in_hours = backend.search(SearchQuery(free_from=start, free_to=end))
    assert [h.name for h in in_hours.hits] == ["Calm Rooms"]
    assert in_hours.total == 1

    evening = future_slot(days=3, hour=19)
    assert backend.search(SearchQuery(free_from=evening, free_to=evening + timedelta(hours=2))).hits == ()
    # A window too short for the 60-minute service.
    assert backend.search(SearchQuery(free_from=start, free_to=start + timedelta(minutes=30))).hits == ()

    # With words and a radius, the page reads the free venues by their keys (the primary key's
    # index), not the text index's bitmap intersected with the circle's.
    near = SearchQuery(text="rooms", lat=LONDON[0], lng=LONDON[1], radius_km=50, free_from=start, free_to=end)
    statements: list = []
    found = count_statements(lambda: statements.append(backend.search(near)))
    assert [h.name for h in statements[0].hits] == ["Calm Rooms"]
    (page,) = [s for s in found if "WITH matched AS MATERIALIZED (\n" in s]
    assert "FROM (SELECT * FROM venue_search WHERE venue_id = ANY(" in page and "OFFSET 0) AS vs" in page


def test_the_window_in_each_zone_is_the_local_week_postgresql_reads_there(ctx):
    """window_hours (worked out once per search) gives each zone the minutes of its local week
    that PostgreSQL's own time zone rules give the window: across zones, on both days the clocks
    change, past Sunday midnight, and for a week or more."""
    from search.pg_sql import window_hours

    zones = ["Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe"]
    london = ZoneInfo("Europe/London")
    windows = [
        (datetime(2026, 12, 2, 10, 0, tzinfo=london), timedelta(hours=2)),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), timedelta(hours=3, minutes=7)),  # clocks go forward
        (datetime(2026, 10, 25, 0, 15, tzinfo=UTC), timedelta(hours=2)),  # and back
        (datetime(2026, 12, 6, 22, 0, tzinfo=london), timedelta(hours=5)),  # Sunday night to Monday
        (datetime(2026, 12, 5, 0, 0, tzinfo=london), timedelta(days=2)),  # "this weekend"
        (datetime(2026, 12, 2, 10, 0, 59, tzinfo=UTC), timedelta(days=7)),
        (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), timedelta(days=6, hours=23, minutes=59)),
    ]
    # The test as it was written per row before: PostgreSQL's AT TIME ZONE and extract.
    mow = (
        "((extract(isodow FROM {t})::int - 1) * 1440"
        " + extract(hour FROM {t})::int * 60 + extract(minute FROM {t})::int)"
    )
    start, end = (
        mow.format(t="(CAST(:f AS timestamptz) AT TIME ZONE :z)"),
        mow.format(t="(CAST(:t AS timestamptz) AT TIME ZONE :z)"),
    )
    reference = text(
        f"""SELECT CASE WHEN CAST(:t AS timestamptz) - CAST(:f AS timestamptz) >= interval '7 days'
                   THEN int4multirange(int4range(0, 10081))
                   WHEN {end} > {start} THEN int4multirange(int4range({start}, {end}))
                   ELSE int4multirange(int4range({start}, 10081), int4range(0, {end})) END
                = CAST(:ours AS int4multirange)"""
    )
    for free_from, length in windows:
        ours = window_hours(free_from, free_from + length, zones)
        assert set(ours) == set(zones)
        for zone in zones:
            params = {"f": free_from, "t": free_from + length, "z": zone, "ours": ours[zone]}
            assert db.session.execute(reference, params).scalar_one(), (free_from, length, zone, ours[zone])
    assert window_hours(windows[0][0], windows[0][0] + timedelta(hours=1), ["Not/AZone"]) == {}


def test_free_between_agrees_with_the_slot_engine_service_by_service(ctx, make_user):
    """venues_free_between reads plain rows; its answer is the ORM path's (get_slots for each
    active service and local day) for closures, full bookings, a busy team member, an inactive
    service, a suspended venue and another time zone."""
    from app.accounts.models import Role
    from app.booking.availability import get_slots
    from app.venues.models import VenueStatus
    from search.availability import local_days
    from search.free_time import venues_free_between
    from search.pg_index import index_venues
    from tests.booking.helpers import book

    start = future_slot(days=3, hour=10)
    end = start + timedelta(hours=2)
    local_day = start.astimezone(ZoneInfo("Europe/London")).date()

    def venue(name: str, **kwargs):
        return make_bookable_venue(make_user(role=Role.PROVIDER), name=name, **kwargs)

    free, _ = venue("Free Rooms")
    closed, _ = venue("Closed Rooms")
    db.session.add(Closure(venue_id=closed.id, starts_on=local_day, ends_on=local_day, reason="Deep clean"))
    full, full_service = venue("Full Rooms")
    teamed, _ = venue("Team Rooms", team=1)
    db.session.add(TimeBlock(venue_id=teamed.id, team_member_id=teamed.team[0].id, starts_at=start, ends_at=end))
    team_free, _ = venue("Team Free Rooms", team=2)
    db.session.add(TimeBlock(venue_id=team_free.id, team_member_id=team_free.team[0].id, starts_at=start, ends_at=end))
    inactive, inactive_service = venue("Inactive Rooms")
    inactive_service.is_active = False
    suspended, _ = venue("Suspended Rooms")
    far, _ = venue("Far Rooms", tz="America/New_York")  # 10:00 in London is 05:00 there
    db.session.flush()
    customer = make_user(email="free-between@example.com")
    for hour in (0, 1):
        book(customer, full_service, start + timedelta(hours=hour))
    suspended.status = VenueStatus.SUSPENDED
    db.session.flush()
    venues = [free, closed, full, teamed, team_free, inactive, suspended, far]

    expected = {
        v.id
        for v in venues
        if v.status == VenueStatus.APPROVED
        and any(
            slot.start >= start and slot.end <= end
            for service in v.active_services
            for day in local_days(start, end, v.timezone)
            for slot in get_slots(service, day)
        )
    }
    assert expected == {free.id, team_free.id}
    # Hours and closures are read from the search index, as the reindex job leaves it.
    index_venues([v.id for v in venues])
    assert venues_free_between([v.id for v in venues], start, end) == expected


def test_free_between_reads_the_index_hours_and_closures_as_entered():
    """venue_search keeps hours as minutes of the week, merged where they meet, and closures as
    date ranges: they read back as the engine's per-day ranges and (first, last) days."""
    from search.availability import closures_of, week_hours_by_day

    assert dict(week_hours_by_day("{}")) == {} and closures_of("{}") == []
    # Monday 09:00-24:00 and Tuesday 00:00-02:00 meet at midnight: one range in the index.
    assert dict(week_hours_by_day("{[540,1440),[1440,1560),[8640,10080)}")) == {
        0: ((540, 1440),),
        1: ((0, 120),),
        6: ((0, 1440),),
    }
    assert dict(week_hours_by_day("{[540,1560)}")) == {0: ((540, 1440),), 1: ((0, 120),)}
    with pytest.raises(TypeError):  # shared by every venue with these hours: read-only
        week_hours_by_day("{[540,1560)}")[2] = ()
    assert closures_of("{[2026-12-24,2026-12-27),[2027-01-01,2027-01-02)}") == [
        (date(2026, 12, 24), date(2026, 12, 26)),
        (date(2027, 1, 1), date(2027, 1, 1)),
    ]


def test_local_days_of_a_window_follow_the_venue_zone():
    from search.availability import local_days

    start = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)  # 00:00 on 2 June in London
    assert local_days(start, start + timedelta(hours=1), "Europe/London") == [date(2026, 6, 2)]
    assert local_days(start, start + timedelta(hours=1), "America/New_York") == [date(2026, 6, 1)]


# -- documents ------------------------------------------------------------------------------------


def test_document_uses_active_services_and_the_cover_card(ctx, make_user):
    corpus = build_corpus(make_user)
    document = build_document(corpus.venues["Amber Massage Studio"])
    assert document.price_from == 5500  # the inactive £10 express massage is left out
    assert document.service_names == ("Sports massage", "Hot stone massage")
    assert document.category == "massage" and document.category_name == "Massage"
    assert document.cover_thumb.endswith("/card.webp")
    assert document.rating is None and document.review_count == 0
    assert document.tags == ("walk-ins", "wheelchair access")


def test_loading_documents_takes_the_same_number_of_queries_for_3_or_12_venues(ctx, make_user):
    corpus = build_corpus(make_user)
    approved = sorted(corpus.searchable_ids)

    def count_queries(ids: list[int]) -> int:
        db.session.expire_all()
        documents: list = []
        statements = count_statements(lambda: documents.extend(load_documents(ids)))
        assert len(documents) == len(ids)
        return len(statements)

    assert count_queries(approved[:3]) == count_queries(approved)
    assert len(load_documents(corpus.ids)) == 12  # drafts and suspended venues are left out


def test_index_removes_venues_that_are_no_longer_approved(backend, corpus):
    lotus = corpus.venues["Lotus Massage Rooms"]
    lotus.status = "suspended"
    backend.index([lotus.id])
    assert backend.search(SearchQuery(text="lotus")).hits == ()
    assert "Lotus Massage Rooms" not in backend.suggest("lotus")
    db.session.delete(corpus.venues["Cedar Barbers"])
    db.session.flush()
    assert backend.search(SearchQuery(text="cedar")).hits == ()


def test_reindex_all_rebuilds_every_approved_venue_and_reports_progress(backend, corpus):
    db.session.execute(text("DELETE FROM venue_search"))
    seen: list[tuple[int, int]] = []
    assert backend.reindex_all(lambda done, total: seen.append((done, total))) == 12
    assert seen[0] == (0, 12) and seen[-1] == (12, 12)
    assert backend.search(SearchQuery()).total == 12


def test_a_venue_without_a_location_is_found_but_never_near(backend, corpus):
    venue = corpus.venues["Saffron Wellness"]
    venue.latitude = venue.longitude = None
    backend.index([venue.id])
    assert [h.name for h in backend.search(SearchQuery(text="saffron")).hits] == ["Saffron Wellness"]
    near = backend.search(SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance", per_page=50))
    assert near.hits[-1].name == "Saffron Wellness" and near.hits[-1].distance_km is None
    assert "Saffron Wellness" not in [
        h.name for h in backend.search(SearchQuery(lat=53.4180, lng=-2.2310, radius_km=500)).hits
    ]


@pytest.mark.parametrize("word", ["2e1e53", "9e9e9e", "5e5d5", "2e12345", "ab2e34"])
def test_a_name_word_the_parser_reads_as_a_number_and_a_word_is_found_as_typed(backend, corpus, word):
    # "2e1e53" is indexed as "2e1" (scientific notation) and "e53": one random tag in 27 has
    # this form, and a venue named with one could not be found by its own name.
    venue = corpus.venues["Saffron Wellness"]
    venue.name = f"Saffron {word.upper()}"
    backend.index([venue.id])
    assert [h.name for h in backend.search(SearchQuery(text=word)).hits] == [venue.name]
    assert [h.name for h in backend.search(SearchQuery(text=f"saffron {word}")).hits] == [venue.name]


# -- choosing a backend, and caching ---------------------------------------------------------------


def test_without_elasticsearch_url_the_backend_is_postgres(app, ctx):
    from search.backend import get_backend

    assert get_backend().name == "postgres"


def fake_elasticsearch(monkeypatch, backend_class) -> None:
    module = types.ModuleType("search.elasticsearch")
    module.ElasticsearchBackend = backend_class
    monkeypatch.setitem(sys.modules, "search.elasticsearch", module)


def test_an_unreachable_cluster_falls_back_to_postgres_with_a_warning(app, ctx, monkeypatch, caplog):
    from search import backend as search_backend

    class Down:
        name = "elasticsearch"

        def __init__(self, url):
            self.url = url

        def ping(self):
            return False

    fake_elasticsearch(monkeypatch, Down)
    monkeypatch.setitem(app.config, "ELASTICSEARCH_URL", "http://127.0.0.1:1")
    monkeypatch.setattr(search_backend, "_unavailable_until", {})
    monkeypatch.setattr(search_backend, "_checked_until", {})
    with caplog.at_level("WARNING"):
        assert search_backend.get_backend().name == "postgres"
    assert "unavailable" in caplog.text


def test_a_cluster_failing_mid_search_answers_from_postgres(app, ctx, make_user, monkeypatch, caplog):
    from search import backend as search_backend

    class Flaky:
        name = "elasticsearch"

        def __init__(self, url):
            self.indexed: list[int] = []

        def ping(self):
            return True

        def index(self, ids):
            self.indexed.extend(ids)

        def search(self, query):
            raise ConnectionError("connection refused")

    fake_elasticsearch(monkeypatch, Flaky)
    monkeypatch.setitem(app.config, "ELASTICSEARCH_URL", "http://127.0.0.1:1")
    monkeypatch.setattr(search_backend, "_unavailable_until", {})
    monkeypatch.setattr(search_backend, "_checked_until", {})
    corpus = build_corpus(make_user)
    chosen = search_backend.get_backend()
    chosen.index(corpus.ids)  # both: PostgreSQL stays fresh for the fallback
    assert chosen.primary.indexed == corpus.ids
    with caplog.at_level("WARNING"):
        result = chosen.search(SearchQuery(text="lotus"))
    assert result.backend == "postgres" and [h.name for h in result.hits] == ["Lotus Massage Rooms"]
    assert "using PostgreSQL" in caplog.text


def test_a_reindex_job_with_the_cluster_down_indexes_postgres_and_comes_back_later(
    app, ctx, provider, monkeypatch, run_jobs
):
    from search import backend as search_backend

    class Down:
        name = "elasticsearch"

        def __init__(self, url):
            pass

        def index(self, ids):
            raise ConnectionError("connection refused")

    fake_elasticsearch(monkeypatch, Down)
    monkeypatch.setitem(app.config, "ELASTICSEARCH_URL", "http://127.0.0.1:1")
    monkeypatch.setattr(search_backend, "_unavailable_until", {})
    venue, _ = make_bookable_venue(provider, name="Orchid Rooms")
    db.session.commit()

    assert run_jobs() == ["search.reindex_venues:succeeded"]

    assert [h.name for h in PostgresBackend().search(SearchQuery(text="orchid")).hits] == ["Orchid Rooms"]
    retry = db.session.execute(
        text("SELECT args, scheduled_at > now() FROM procrastinate_jobs WHERE task_name = 'search.reindex_venues'")
    ).one()
    assert retry[0] == {"venue_ids": [venue.id], "attempt": 1} and retry[1] is True


def test_cached_results_last_until_the_index_changes(app, backend, corpus):
    from app.platform.extensions import cache
    from search import backend as search_backend

    cache.clear()
    query = SearchQuery(text="lotus")
    first = search_backend.search(query)
    assert not any("venue_search" in s for s in count_statements(lambda: search_backend.search(query)))
    venue: Venue = corpus.venues["Lotus Massage Rooms"]
    venue.name = "Lotus Massage Rooms Renamed"
    db.session.flush()
    assert search_backend.search(query) == first  # served from the cache: the index has not changed
    backend.index([venue.id])  # the write bumps the cache version in the same transaction
    assert [h.name for h in search_backend.search(query).hits] == ["Lotus Massage Rooms Renamed"]


def test_free_window_queries_are_not_cached(app, ctx, provider):
    from app.platform.extensions import cache
    from search import backend as search_backend

    cache.clear()
    venue, _ = make_bookable_venue(provider)
    PostgresBackend().index([venue.id])
    start = future_slot(days=2, hour=10).astimezone(ZoneInfo("Europe/London"))
    query = SearchQuery(free_from=start, free_to=start + timedelta(hours=2))
    assert search_backend.search(query).total == 1
    assert cache.get(search_backend.cache_key(query)) is None


# -- cached facets of searches that nothing narrows ---------------------------------------------


def test_facets_of_an_unnarrowed_search_are_cached_until_the_index_changes(app, backend, corpus):
    from app.platform.extensions import cache

    cache.clear()
    query = SearchQuery(category="massage", sort="rating")
    first = backend.search(query)
    again: list = []
    statements = count_statements(lambda: again.append(backend.search(query)))
    assert not any("WITH base AS MATERIALIZED" in s for s in statements)  # facets from the cache
    assert again[0].facets == first.facets and again[0].total == first.total

    lotus = corpus.venues["Lotus Massage Rooms"]
    lotus.status = "suspended"
    backend.index([lotus.id])  # a write changes the state token in the same transaction
    after = backend.search(query)
    assert after.total == first.total - 1
    massage = {v.value: v.count for v in after.facets["category"].values}
    assert massage["massage"] == {v.value: v.count for v in first.facets["category"].values}["massage"] - 1


def test_a_rolled_back_write_never_brings_back_its_cached_facets(app, ctx, make_user, backend):
    from app.platform.extensions import cache

    cache.clear()
    token_before = db.session.execute(text("SELECT token FROM venue_search_state")).scalar_one()
    savepoint = db.session.begin_nested()
    corpus = build_corpus(make_user)
    backend.index(corpus.ids)
    token_inside = db.session.execute(text("SELECT token FROM venue_search_state")).scalar_one()
    assert backend.search(SearchQuery(sort="rating")).total == 12
    savepoint.rollback()
    assert db.session.execute(text("SELECT token FROM venue_search_state")).scalar_one() == token_before
    assert token_inside != token_before
    assert backend.search(SearchQuery(sort="rating")).total == 0


def test_text_and_radius_searches_count_their_facets_fresh(app, backend, corpus):
    from app.platform.extensions import cache

    cache.clear()
    backend.search(SearchQuery(text="massage"))
    statements = count_statements(lambda: backend.search(SearchQuery(text="massage")))
    assert any("WITH matched AS MATERIALIZED" in s for s in statements)


def find_nodes(plan, node_type: str) -> list[dict]:
    found: list[dict] = []
    if isinstance(plan, dict):
        if plan.get("Node Type") == node_type:
            found.append(plan)
        for value in plan.values():
            found += find_nodes(value, node_type)
    elif isinstance(plan, list):
        for value in plan:
            found += find_nodes(value, node_type)
    return found


@pytest.mark.parametrize(
    ("query", "index"),
    [(SearchQuery(open_now=True), "ix_venue_search_rating"), (SearchQuery(sort="price"), "ix_venue_search_price_from")],
    ids=["rating-order", "price-order"],
)
def test_the_page_comes_in_order_from_the_index_with_no_sort(backend, corpus, query, index):
    (_, sql, params), _ = backend.explain(query)
    (limit,) = find_nodes(plan_of(sql, params, sorts=False), "Limit")
    (child,) = limit["Plans"]
    assert child["Node Type"] in {"Index Scan", "Index Only Scan"} and child["Index Name"] == index


def test_two_words_with_no_full_match_relax_in_one_statement_naming_the_words_that_matched(backend, corpus):
    """ "massage pedicure": no venue has both. The relaxed search is either word, and which of
    them the shown venues match comes from its own sample: no statement counts the groups first.
    A filter decides which words are named: within the nails category only "pedicure" matched."""
    found: list = []
    statements = count_statements(lambda: found.append(backend.search(SearchQuery(text="massage pedicure"))))
    (result,) = found
    assert result.relaxed == ("massage", "pedicure")
    assert {"Lotus Massage Rooms", "Café Zoë Nails"} <= {hit.name for hit in result.hits}
    assert not any("SELECT mask" in s for s in statements)
    assert sum("WITH matched AS MATERIALIZED" in s for s in statements) == 2  # all words, then either

    nails = backend.search(SearchQuery(text="massage pedicure", category="nails"))
    assert nails.relaxed == ("pedicure",)
    assert {hit.name for hit in nails.hits} == {"Café Zoë Nails"}


def test_three_words_with_no_full_match_relax_to_the_most_groups_any_venue_matches(backend, corpus):
    """Two of the three groups find a venue: that search is shown, and its own sample names the
    pair (no statement counts the groups first)."""
    found: list = []
    statements = count_statements(lambda: found.append(backend.search(SearchQuery(text="swedish massage pedicure"))))
    (result,) = found
    assert result.relaxed == ("swedish massage",)
    assert [hit.name for hit in result.hits] == ["Lotus Massage Rooms"]
    assert sum("WITH matched AS MATERIALIZED" in s for s in statements) == 2  # all three, then two of three
    assert len(statements) == 3  # and the words' corrections


def test_relaxed_labels_name_the_largest_sets_of_groups_matched():
    from search.pg_sql import relaxed_labels
    from search.pg_text import TextMatch

    match = TextMatch("'a' & 'b' & 'c' & 'd'", ("'a'", "'b'", "'c'", "'d'"), ("spa", "day", "for two", "sauna"))
    assert relaxed_labels(match, []) == ()
    assert relaxed_labels(match, [0b0011, 0b0110, 0b0001]) == ("spa day", "day for two")
    assert relaxed_labels(match, [0b1011, 0b0111, 0b1101, 0b1110]) == (
        "spa day for two",
        "spa day sauna",
        "spa for two sauna",
    )
    assert relaxed_labels(match, [0b1000, 0b0001, 0b0100]) == ("spa", "for two", "sauna")


def test_relaxing_to_two_of_three_groups_asks_the_index_for_each_pair():
    from search.pg_text import MAX_RELAXED_TERMS, TextMatch

    match = TextMatch("'a' & 'b' & 'c'", ("'a'", "'b'", "'c'"), ("a", "b", "c"))
    assert match.relax(2, ()).tsquery == "(('a') & ('b')) | (('a') & ('c')) | (('b') & ('c'))"
    assert match.relax(1, ()).tsquery == "'a' | 'b' | 'c'"
    many = TextMatch("", tuple(f"'w{n}'" for n in range(8)), tuple(f"w{n}" for n in range(8)))
    assert math.comb(8, 4) > MAX_RELAXED_TERMS
    assert many.relax(4, ()).tsquery == " | ".join(many.groups)  # too many ways: any group, tested per row


def test_the_hours_a_venue_is_open_in_are_those_its_opening_hours_overlap(ctx):
    """Migration 0045's function: an hour of the week is listed when the venue is open at any
    minute of it (a superset of "open now" at any minute of that hour), none when closed."""

    def hours(multirange: str) -> list[int]:
        return db.session.execute(
            text("SELECT venue_search_open_hours(CAST(:h AS int4multirange))"), {"h": multirange}
        ).scalar_one()

    assert hours("{[420,1320)}") == list(range(7, 22))  # Monday 07:00-22:00: hours 7 to 21
    assert hours("{[419,421)}") == [6, 7]  # a minute either side of 07:00
    assert hours("{[1439,1441),[10020,10080)}") == [23, 24, 167]  # over midnight; Sunday's last hour
    assert hours("{}") == []


def test_the_index_key_functions_are_declared_too_costly_to_compute_row_by_row(ctx):
    """Migrations 0046 and 0049: the keys of the hours' and open cells' indexes cost tens of
    microseconds a row, so the planner is told so (the hours' at COST 10000, read through its
    index, not tested on each match) and never starts a parallel worker for them."""
    rows = db.session.execute(
        text(
            "SELECT proname, procost, proparallel FROM pg_proc WHERE proname IN"
            " ('venue_search_open_zone_hour_keys', 'venue_search_open_cell_keys', 'venue_search_open_cells')"
        )
    ).all()
    declared = {name: (cost, parallel) for name, cost, parallel in rows}
    assert declared["venue_search_open_zone_hour_keys"] == (10000, "u")
    assert declared["venue_search_open_cell_keys"][1] == declared["venue_search_open_cells"][1] == "u"


def test_the_open_zone_hours_are_the_hours_of_its_own_zone(ctx):
    """Migration 0048's keys: zone_code(zone) * 168 + each local hour of the week the venue is
    open in, as search.postgres asks them (a London venue is not a candidate at Paris's hour)."""
    from search.geo import zone_code

    def keys(multirange: str, zone: str) -> list[int]:
        return db.session.execute(
            text("SELECT venue_search_open_zone_hours(CAST(:h AS int4multirange), :tz)"), {"h": multirange, "tz": zone}
        ).scalar_one()

    london, paris = zone_code("Europe/London") * 168, zone_code("Europe/Paris") * 168
    assert sorted(keys("{[420,540)}", "Europe/London")) == [london + 7, london + 8]
    assert sorted(keys("{[420,540)}", "Europe/Paris")) == [paris + 7, paris + 8]
    assert sorted(keys("{[1439,1441),[10020,10080)}", "Europe/London")) == [london + 23, london + 24, london + 167]
    assert keys("{}", "Europe/London") == []


def _moved(lat: float, lng: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lng) on the model sphere, towards ``bearing_deg``."""
    from search.geo import EARTH_RADIUS_M

    d, b = km * 1000.0 / EARTH_RADIUS_M, math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


@pytest.mark.parametrize(
    ("lat", "lng", "radius_km"),
    [(51.5072, -0.1276, 10), (53.4808, -2.2426, 25), (0.01, 0.01, 5), (-33.87, 151.21, 10), (69.65, 18.96, 1)],
)
def test_the_cells_of_a_circle_cover_every_point_of_it(lat, lng, radius_km):
    """Every point within the radius, edge included, lies in one of the cells radius_cells
    lists, in the cell venue_search_open_cells() computes from its coordinates."""
    from search.geo import OPEN_CELL_LAT_DEG, OPEN_CELL_LNG_DEG, radius_cells

    cells = set(radius_cells(lat, lng, radius_km))
    for bearing in range(0, 360, 3):
        for km in (radius_km, radius_km * 0.999, radius_km * 0.7, radius_km * 0.3):
            p, q = _moved(lat, lng, km, bearing)
            cell = (math.floor(p / OPEN_CELL_LAT_DEG) + 2000) * 10000 + math.floor(q / OPEN_CELL_LNG_DEG) + 3000
            assert cell in cells, (p, q, km, bearing)


@pytest.mark.parametrize(("lat", "lng", "radius_km"), [(51.5072, -0.1276, 10), (53.4808, -2.2426, 25)])
def test_the_cells_a_circle_misses_are_left_out(lat, lng, radius_km):
    """Only cells the circle reaches are listed: every cell whose nearest point is within the
    radius, and none whose nearest point is farther than the margin beyond it, so some cells of
    the circle's bounding box (its corners) are left out."""
    from search.geo import OPEN_CELL_LAT_DEG, OPEN_CELL_LNG_DEG, distance_km, radius_cells

    cells = set(radius_cells(lat, lng, radius_km))
    rows = range(min(c // 10000 for c in cells) - 2001, max(c // 10000 for c in cells) - 1998)
    cols = range(min(c % 10000 for c in cells) - 3001, max(c % 10000 for c in cells) - 2998)

    def nearest_km(row: int, col: int) -> float:
        p = min(max(lat, row * OPEN_CELL_LAT_DEG), (row + 1) * OPEN_CELL_LAT_DEG)
        q = min(max(lng, col * OPEN_CELL_LNG_DEG), (col + 1) * OPEN_CELL_LNG_DEG)
        return distance_km(lat, lng, p, q)

    for row in rows:
        for col in cols:
            listed = (row + 2000) * 10000 + col + 3000 in cells
            if nearest_km(row, col) <= radius_km:
                assert listed, (row, col)
            if nearest_km(row, col) > radius_km + 0.1:
                assert not listed, (row, col)
    assert len(cells) < (len(rows) - 2) * (len(cols) - 2)


def test_a_circle_the_cells_cannot_cover_is_left_to_the_location_index():
    from search.geo import MAX_OPEN_CELLS, radius_cells

    assert radius_cells(89.95, 10.0, 10) is None  # holds the pole
    assert radius_cells(51.0, 179.99, 10) is None  # crosses the 180th meridian
    assert radius_cells(51.0, 0.0, 500) is None  # more than MAX_OPEN_CELLS cells
    assert len(radius_cells(51.0, 0.0, 25)) <= MAX_OPEN_CELLS


def test_the_open_cells_of_a_venue_are_its_hours_in_its_zone_and_its_cell(ctx):
    """Migration 0046's keys, as search.geo.open_cell_keys asks them: a venue open 07:00-22:00
    on Mondays in London is a candidate at 21:30 on a Monday within 10 km (and at 06:00: the
    keys are of two hours), not at 22:00, not in another zone at the same local minute, not
    from 30 km away."""
    from search.geo import open_cell_keys, zone_code

    def found(minutes: dict[str, int], lat: float = 51.52, lng: float = -0.10) -> bool:
        keys = open_cell_keys(lat, lng, 10, minutes)
        return db.session.execute(
            text(
                "SELECT venue_search_open_cells(CAST(:h AS int4multirange), :tz, 51.5072, -0.1276)"
                " && CAST(:keys AS bigint[])"
            ),
            {"h": "{[420,1320)}", "tz": "Europe/London", "keys": keys},
        ).scalar_one()

    assert zone_code("Europe/London") != zone_code("Europe/Paris")
    assert found({"Europe/London": 21 * 60 + 30})
    assert found({"Europe/Paris": 22 * 60 + 30, "Europe/London": 21 * 60 + 30})
    assert not found({"Europe/London": 22 * 60})
    assert found({"Europe/London": 6 * 60})  # its two hours 06:00-08:00 hold 07:00: a candidate
    assert not found({"Europe/Paris": 21 * 60 + 30})
    assert not found({"Europe/London": 21 * 60 + 30}, lat=51.78)  # about 30 km north
    assert (
        db.session.execute(
            text("SELECT venue_search_open_cells('{[420,1320)}', 'Europe/London', NULL, NULL)")
        ).scalar_one()
        == []
    )


def test_open_now_within_a_radius_through_the_cells_finds_what_the_rows_say(app, ctx, make_user, backend, monkeypatch):
    """ "Open now" within a radius read through the index of where and when venues are open
    (migration 0046) gives the pages and counts of the search that tests the circle's rows:
    venues on either side of the edge, open early or late, one in another zone."""
    from search import postgres
    from search.geo import zone_code
    from tests.search.corpus import Spec

    def spec(name: str, km: float, bearing: float, hours: tuple[int, int]) -> Spec:
        lat, lng = _moved(LONDON[0], LONDON[1], km, bearing)
        return Spec(name, "spa", "London", lat, lng, (("Sauna", 2000, True),), hours=hours)

    specs = (
        spec("Early Near", 2, 10, (7 * 60, 9 * 60)),
        spec("Early Edge", 9.99, 100, (7 * 60, 9 * 60)),
        spec("Early Out", 10.05, 190, (7 * 60, 9 * 60)),
        spec("Day Near", 3, 200, (9 * 60, 18 * 60)),
        spec("Late Near", 5, 290, (20 * 60 + 30, 23 * 60)),
        spec("Late Far", 40, 45, (20 * 60 + 30, 23 * 60)),
        spec("Paris Hours", 4, 300, (8 * 60, 10 * 60)),  # in Paris's zone: 07:00-09:00 London
        Spec("Berlin Early", "spa", "Berlin", 52.52, 13.40, (("Sauna", 2000, True),), hours=(7 * 60, 9 * 60)),
    )
    corpus = build_corpus(make_user, specs)
    corpus.venues["Paris Hours"].timezone = "Europe/Paris"
    corpus.venues["Berlin Early"].timezone = "Europe/Berlin"
    db.session.flush()
    backend.index(corpus.ids)
    monkeypatch.setattr(postgres, "OPEN_CELLS_SHARE", 1.0)  # whatever share is open
    instants = [datetime(2026, 11, 25, h, m, tzinfo=UTC) for h, m in ((6, 59), (7, 0), (8, 59), (9, 0), (21, 0))]
    queries = [SearchQuery(open_now=True, lat=LONDON[0], lng=LONDON[1], radius_km=10, per_page=p) for p in (2, 20)]

    def run() -> list[tuple[list[str], int]]:
        results = []
        for instant in instants:
            for query in queries:
                result = PostgresBackend(now=lambda instant=instant: instant).search(query)
                results.append(([hit.name for hit in result.hits], result.total))
        return results

    (_, first, params), *_ = PostgresBackend(now=lambda: instants[1]).explain(queries[1])
    assert pg_sql.OPEN_CELLS_SQL in first and "earth_box" not in first.split("base AS")[0]
    # Only the zones with venues in reach of the circle are looked up: not Berlin's.
    assert {key // 10**8 // 84 for key in params["open_cells"]} == {
        zone_code("Europe/London"),
        zone_code("Europe/Paris"),
    }
    through_cells = run()
    monkeypatch.setattr(postgres, "OPEN_CELLS_SHARE", 0.0)
    monkeypatch.setattr(postgres, "OPEN_HOURS_SHARE", 0.0)
    assert pg_sql.OPEN_CELLS_SQL not in PostgresBackend(now=lambda: instants[1]).explain(queries[1])[0][1]
    through_rows = run()
    assert through_cells == through_rows
    at_seven = sorted(through_rows[3][0])
    assert at_seven == ["Early Edge", "Early Near", "Paris Hours"]
    assert sorted(through_rows[9][0]) == ["Late Near"]


def test_words_within_a_radius_through_the_word_cells_find_what_the_rows_say(app, backend, corpus, monkeypatch):
    """Text within a radius read through the index of words by map cell (migration 0047) gives
    the pages and counts of the search that ANDs the text index with the circle's box: one
    word, synonyms, a typo, two groups, a phrase, a relaxed search; with the usual cap and with
    a cap of 1 (broad searches)."""
    from search import postgres

    manchester = (53.4808, -2.2426)
    queries = [
        SearchQuery(text="massage", lat=LONDON[0], lng=LONDON[1], radius_km=5),
        SearchQuery(text="massage", lat=manchester[0], lng=manchester[1], radius_km=10, sort="price"),
        SearchQuery(text="nails", lat=LONDON[0], lng=LONDON[1], radius_km=25),
        SearchQuery(text="masage", lat=LONDON[0], lng=LONDON[1], radius_km=10, per_page=1, page=2),
        SearchQuery(text="swedish massage", lat=LONDON[0], lng=LONDON[1], radius_km=10),
        SearchQuery(text="blow dry", lat=LONDON[0], lng=LONDON[1], radius_km=10),
        SearchQuery(text="massage reflexology", lat=manchester[0], lng=manchester[1], radius_km=25),  # relaxed
        SearchQuery(text="massage", lat=LONDON[0], lng=LONDON[1], radius_km=0.2),  # none that close
    ]

    def run() -> list[tuple[list[str], int, bool, tuple[str, ...]]]:
        found = []
        for cap in (1000, 1):
            monkeypatch.setitem(app.config, "SEARCH_COUNT_CAP", cap)
            for query in queries:
                result = backend.search(query)
                found.append(([hit.name for hit in result.hits], result.total, result.total_capped, result.relaxed))
        return found

    statements = [sql for query in queries for _, sql, _ in backend.explain(query)[:1]]
    assert all("venue_search_word_cells" in sql for sql in statements)
    through_cells = run()
    monkeypatch.setattr(postgres, "radius_cells", lambda *args: None)  # as for a circle too big
    monkeypatch.setattr(pg_sql, "radius_cells", lambda *args: None)  # the words' cells too
    assert "venue_search_word_cells" not in backend.explain(queries[0])[0][1]
    through_box = run()
    assert through_cells == through_box
    assert through_box[0][0] == ["Lotus Massage Rooms"]
    assert through_box[6][3]  # "massage reflexology" is relaxed
    assert through_box[7][:2] == ([], 0)


def test_a_phrase_is_bound_by_its_rarest_word(ctx):
    """The words a group's venues must hold one of (the word cells' keys, the several-groups
    bound): of a phrase, the word the vocabulary counts fewest venues holding."""
    from search.pg_text import text_match

    db.session.execute(
        text("INSERT INTO venue_search_words (word, venues) VALUES ('hair', 50), ('removal', 5), ('waxing', 7)")
    )
    match = text_match("waxing")  # the seeded synonyms: "waxing" ~ "hair removal"
    assert "'hair' <-> 'removal'" in match.tsquery
    assert match.bound == (("waxing", "removal"),)
    db.session.execute(text("UPDATE venue_search_words SET venues = 500 WHERE word = 'removal'"))
    assert text_match("waxing").bound == (("waxing", "hair"),)


def test_a_phrase_is_asked_of_the_index_as_its_words_and_tested_on_the_rows(backend, ctx, make_user):
    """ "blow <-> dry": the text index is asked for venues holding both words (an exact answer,
    no recheck), and the phrase is tested on them: a venue with both words apart is not found."""
    from tests.search.corpus import Spec

    specs = (
        Spec("Adjacent Rooms", "hair", "London", 51.51, -0.12, (("Cut and blow dry", 4000, True),)),
        Spec("Apart Rooms", "hair", "London", 51.52, -0.12, (("Dry cut, blow out", 4000, True),)),
        Spec("Neither Rooms", "hair", "London", 51.53, -0.12, (("Skin fade", 2000, True),)),
    )
    corpus = build_corpus(make_user, specs)
    backend.index(corpus.ids)
    assert "<->" in backend.text_match("blow dry").tsquery
    for query in (
        SearchQuery(text="blow dry"),
        SearchQuery(text="blow dry", lat=LONDON[0], lng=LONDON[1], radius_km=10),
        SearchQuery(text="blow dry", sort="price"),
    ):
        sql = backend.explain(query)[0][1]
        assert pg_sql.PHRASE_WORDS_SQL in sql or pg_sql.WORDS_TESTED_SQL in sql
        assert [hit.name for hit in backend.search(query).hits] == ["Adjacent Rooms"], query


def test_the_apps_sessions_run_without_jit(ctx):
    """config.py: JIT compiling (20-40 ms) is never worth it for the app's statements; the
    planner would ask for it on cost estimates alone."""
    assert db.session.execute(text("SHOW jit")).scalar_one() == "off"
