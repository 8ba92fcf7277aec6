"""Free time kept ahead (search/free_time.py): the same answers as the slot engine, stale the
moment anything the engine reads changes, and recomputed by the refresh job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.accounts.models import Role
from app.booking.availability import booking_rules
from app.booking.models import TimeBlock
from app.platform.extensions import db
from app.slot_engine import has_slot_within
from search.availability import load_venues, local_days, read_busy
from search.free_time import (
    HORIZON_DAYS,
    known_free,
    refresh_due,
    refresh_free_time,
    runs,
    venues_free_between,
    venues_to_refresh,
)
from search.pg_index import index_venues
from tests.booking.helpers import book, future_slot, make_bookable_venue

pytestmark = pytest.mark.usefixtures("ctx")

ALL = 100_000  # venues_to_refresh's limit: every stale venue, those other tests committed too


def changes(venue_id: int) -> int:
    return db.session.execute(
        text("SELECT count(*) FROM venue_free_changes WHERE venue_id = :id"), {"id": venue_id}
    ).scalar_one()


def slot_engine(venue_id: int, first: datetime, last: datetime, now: datetime):
    """The slot engine asked directly (as venues_free_between does for a venue without kept
    free time), the venue's bookings, blocks and schedules from ``first`` to ``last`` read once."""
    (venue,) = load_venues([venue_id])
    inputs = venue.engine_inputs(read_busy([venue], {venue.id: local_days(first, last, venue.tz)})[venue.id])

    def says(start: datetime, end: datetime) -> bool:
        return any(
            has_slot_within(
                days=local_days(start, end, venue.tz),
                service=service,
                now=now,
                rules=booking_rules(),
                start=start,
                end=end,
                **inputs,
            )
            for service in venue.services
        )

    return says


@pytest.fixture
def venue(make_user):
    """An approved, indexed venue open 09:00-18:00 every day with a 60-minute and a 45-minute
    service, its free time computed."""
    from app.venues.service import save_service

    venue, service = make_bookable_venue(make_user(role=Role.PROVIDER), name="Kept Rooms")
    save_service(
        venue,
        None,
        name="Express facial",
        description="",
        category_id=None,
        duration_minutes=45,
        price_minor=3000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    db.session.flush()
    index_venues([venue.id])
    assert refresh_free_time([venue.id]) == 1
    venue.massage = service
    return venue


def test_runs_join_starts_one_step_apart():
    assert runs([], 15) == []
    assert runs([600, 615, 630, 700, 715, 615], 15) == [(600, 631), (700, 716)]
    assert runs([600, 610], 15) == [(600, 601), (610, 611)]


def test_the_kept_answer_is_the_slot_engines_for_every_window(venue, make_user):
    """Windows of every length starting at every quarter and at odd minutes over three days,
    around bookings and a block: the kept answer (fresh, so given) is what the slot engine says."""
    facial = next(s for s in venue.services if s.duration_minutes == 45)
    book(make_user(email="one@example.com"), venue.massage, future_slot(days=2, hour=10))
    book(make_user(email="two@example.com"), facial, future_slot(days=2, hour=10))
    book(make_user(email="three@example.com"), facial, future_slot(days=2, hour=15))
    blocked = future_slot(days=3, hour=9)
    db.session.add(TimeBlock(venue_id=venue.id, starts_at=blocked, ends_at=blocked + timedelta(minutes=200)))
    db.session.flush()
    refresh_free_time([venue.id])
    now = datetime.now(UTC)
    rules = booking_rules()
    first = future_slot(days=2, hour=0)  # past the minimum notice whatever the hour it runs at
    engine_says = slot_engine(venue.id, first, first + timedelta(days=4), now)
    checked = 0
    for offset in range(0, 3 * 24 * 60, 37):  # 37: windows start on and between the quarters
        start = first + timedelta(minutes=offset)
        for length in (30, 44, 45, 46, 60, 61, 90, 240, 600):
            end = start + timedelta(minutes=length)
            answer = known_free([venue.id], start, end, now=now, rules=rules)
            assert answer == {venue.id: engine_says(start, end)}, (start, end)
            checked += answer[venue.id]
    assert checked > 100  # most windows inside opening hours are free


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("Europe/London", datetime(2027, 3, 28, 1, tzinfo=UTC)),
        ("America/New_York", datetime(2027, 11, 7, 6, tzinfo=UTC)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_the_kept_answer_is_the_slot_engines_across_a_clock_change(venue, zone, change):
    """Open round the clock in a zone whose clocks change: the kept starts (minutes since the
    epoch, runs broken where local time jumps) answer as the slot engine does for windows on
    the night of the change, with a 'now' two days before it."""
    from app.venues.hours import Range
    from app.venues.service import set_day_hours

    venue.timezone = zone
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(0, 24 * 60)])
    db.session.flush()
    index_venues([venue.id])
    now = change - timedelta(days=2)
    refresh_free_time([venue.id], now=now)
    rules = booking_rules()
    first = change - timedelta(hours=6)
    engine_says = slot_engine(venue.id, first - timedelta(days=1), first + timedelta(days=2), now)
    for offset in range(0, 12 * 60, 13):
        start = first + timedelta(minutes=offset)
        for length in (44, 45, 46, 60, 61, 120):
            end = start + timedelta(minutes=length)
            assert known_free([venue.id], start, end, now=now, rules=rules) == {venue.id: engine_says(start, end)}, (
                start,
                end,
            )


def test_a_booking_leaves_the_kept_answer_stale_until_the_refresh(venue, make_user):
    start = future_slot(days=2, hour=9)
    window = (start, start + timedelta(hours=1))
    now = datetime.now(UTC)
    assert known_free([venue.id], *window, now=now, rules=booking_rules()) == {venue.id: True}

    book(make_user(email="early@example.com"), venue.massage, start)
    # The 45-minute facial still fits 09:00-09:45: take it too, so the hour is full.
    facial = next(s for s in venue.services if s.duration_minutes == 45)
    book(make_user(email="facial@example.com"), facial, start)
    assert changes(venue.id) > 0
    assert known_free([venue.id], *window, now=now, rules=booking_rules()) == {}  # ask the engine
    assert venues_free_between([venue.id], *window) == set()  # which knows

    assert venue.id in venues_to_refresh(ALL)
    assert refresh_free_time([venue.id]) == 1
    assert changes(venue.id) == 0
    assert known_free([venue.id], *window, now=datetime.now(UTC), rules=booking_rules()) == {venue.id: False}


def test_a_hold_counted_as_busy_makes_the_answer_stale_when_it_expires(venue, make_user):
    start = future_slot(days=2, hour=9)
    window = (start, start + timedelta(minutes=45))
    booking = book(make_user(email="holder@example.com"), venue.massage, start, confirm=False)
    assert booking.status == "held"
    refresh_free_time([venue.id])
    now = datetime.now(UTC)
    assert known_free([venue.id], *window, now=now, rules=booking_rules()) == {venue.id: True}  # the facial
    (valid_until,) = db.session.execute(
        text("SELECT valid_until FROM venue_free_time WHERE venue_id = :id"), {"id": venue.id}
    ).one()
    assert valid_until == booking.hold_expires_at
    later = booking.hold_expires_at + timedelta(seconds=1)
    assert known_free([venue.id], *window, now=later, rules=booking_rules()) == {}
    assert venue.id in venues_to_refresh(ALL, now=later)


def test_every_table_the_engine_reads_marks_the_venue_changed(venue, make_user):
    from app.team_schedules.models import TimeOff
    from app.venues.models import TeamMember

    def changed(action) -> bool:
        db.session.execute(text("DELETE FROM venue_free_changes"))
        action()
        db.session.flush()
        return changes(venue.id) > 0

    # A reindex that writes the same hours again changes nothing.
    assert not changed(lambda: index_venues([venue.id]))
    assert not changed(lambda: setattr(venue.massage, "description", "Firm pressure"))

    start = future_slot(days=2, hour=12)
    member = TeamMember(venue_id=venue.id, name="Ana", title="", bio="")
    assert changed(lambda: db.session.add(member))
    assert changed(lambda: member.services.append(venue.massage))
    assert changed(
        lambda: db.session.add(TimeBlock(venue_id=venue.id, starts_at=start, ends_at=start + timedelta(hours=1)))
    )
    assert changed(
        lambda: db.session.add(
            TimeOff(team_member_id=member.id, starts_at=start, ends_at=start + timedelta(hours=2), kind="holiday")
        )
    )
    assert changed(lambda: setattr(venue.massage, "duration_minutes", 90))
    # The index row's hours, as the reindex job writes them after an edit.
    assert changed(
        lambda: db.session.execute(
            text("UPDATE venue_search SET week_hours = '{[540,600)}' WHERE venue_id = :id"), {"id": venue.id}
        )
    )
    assert changed(lambda: book(make_user(email="marks@example.com"), venue.massage, start + timedelta(hours=3)))


def test_a_change_committed_while_the_refresh_computes_keeps_the_venue_stale(venue, monkeypatch):
    """The refresh deletes the change rows it read before reading the data, not the ones that
    arrive while it computes (a booking committed meanwhile)."""
    import search.free_time as free_time

    computed = free_time.compute_free_time

    def compute_while_a_booking_lands(*args, **kwargs):
        result = computed(*args, **kwargs)
        db.session.execute(text("INSERT INTO venue_free_changes (venue_id) VALUES (:id)"), {"id": venue.id})
        return result

    db.session.execute(text("INSERT INTO venue_free_changes (venue_id) VALUES (:id)"), {"id": venue.id})
    monkeypatch.setattr(free_time, "compute_free_time", compute_while_a_booking_lands)
    refresh_free_time([venue.id])
    assert changes(venue.id) == 1
    start = future_slot(days=2, hour=10)
    assert known_free([venue.id], start, start + timedelta(hours=1), now=datetime.now(UTC), rules=booking_rules()) == {}


def test_windows_beyond_the_days_kept_or_under_other_rules_are_left_to_the_engine(venue, app):
    now = datetime.now(UTC)
    late = future_slot(days=HORIZON_DAYS + 1, hour=10)
    assert known_free([venue.id], late, late + timedelta(hours=1), now=now, rules=booking_rules()) == {}
    assert venues_free_between([venue.id], late, late + timedelta(hours=1)) == {venue.id}
    start = future_slot(days=2, hour=10)
    app.config["SLOT_INTERVAL_MINUTES"] = 5
    try:
        assert known_free([venue.id], start, start + timedelta(hours=1), now=now, rules=booking_rules()) == {}
        assert venue.id in venues_to_refresh(ALL)
    finally:
        app.config["SLOT_INTERVAL_MINUTES"] = 15


def test_the_refresh_fills_missing_venues_and_drops_those_no_longer_searchable(venue, make_user):
    from app.venues.models import VenueStatus

    other, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="New Rooms")
    index_venues([other.id])
    db.session.execute(text("DELETE FROM venue_free_changes"))
    assert other.id in venues_to_refresh(ALL) and venue.id not in venues_to_refresh(ALL)
    assert refresh_due(budget_seconds=30) >= 1
    assert venues_to_refresh(ALL) == []

    other.status = VenueStatus.SUSPENDED
    db.session.flush()
    index_venues([other.id])  # the takedown removes its index row
    assert venues_to_refresh(ALL) == [other.id]  # its change row
    refresh_due(budget_seconds=30)
    kept = db.session.execute(text("SELECT venue_id FROM venue_free_time")).scalars().all()
    assert other.id not in kept and venue.id in kept
    assert venues_to_refresh(ALL) == []


def test_search_for_today_reads_the_kept_answer_without_the_slot_engine(venue, monkeypatch):
    """With every candidate's free time fresh, the window search asks the engine nothing."""
    import search.free_time as free_time

    def no_engine(*args, **kwargs):
        raise AssertionError("the slot engine was asked")

    monkeypatch.setattr(free_time, "has_slot_within", no_engine)
    start = future_slot(days=2, hour=10)
    assert venues_free_between([venue.id], start, start + timedelta(hours=2)) == {venue.id}


def test_a_window_search_takes_the_kept_answers_with_its_candidates(venue, make_user, monkeypatch):
    """The candidates' statement carries each one's kept answer: a venue whose free time is
    fresh costs the search neither the slot engine nor a statement of its own; one changed
    since is asked of the engine."""
    import search.free_time as free_time
    from search.postgres import PostgresBackend
    from search.types import SearchQuery
    from tests.search.test_postgres_backend import count_statements

    stale, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Changed Rooms")
    index_venues([stale.id])
    refresh_free_time([stale.id])
    start = future_slot(days=2, hour=9)
    book(make_user(email="late@example.com"), stale.services[0], start)  # stale from here
    asked: list[int] = []
    engine = free_time.has_slot_within

    def counting_engine(**kwargs):
        asked.append(kwargs["service"].id)
        return engine(**kwargs)

    monkeypatch.setattr(free_time, "has_slot_within", counting_engine)
    found: list = []
    query = SearchQuery(free_from=start, free_to=start + timedelta(hours=1))
    statements = count_statements(lambda: found.append(PostgresBackend().search(query)))
    assert [hit.venue_id for hit in found[0].hits] == [venue.id]  # the changed one is full at 09:00
    assert asked == [stale.services[0].id]  # the engine, for the changed venue only
    assert not any("asked.venue_id" in s for s in statements)  # no statement of kept answers alone


def test_flask_search_free_time_refreshes_stale_venues_or_every_one(app, venue):
    db.session.execute(text("INSERT INTO venue_free_changes (venue_id) VALUES (:id)"), {"id": venue.id})
    result = app.test_cli_runner().invoke(args=["search", "free-time"])
    assert result.exit_code == 0, result.output
    assert "stale or missing venue(s)" in result.output
    assert changes(venue.id) == 0 and venue.id not in venues_to_refresh(ALL)

    result = app.test_cli_runner().invoke(args=["search", "free-time", "--all"])
    assert result.exit_code == 0, result.output
    assert "Computing free time" in result.output
    searchable = db.session.execute(text("SELECT count(*) FROM venue_search")).scalar_one()
    assert f"Computed the free time of {searchable} venue(s)." in result.output


def test_a_venue_another_refresh_is_computing_is_left_to_it(make_user):
    """Two workers' refreshes never compute one venue at once: the second skips a venue whose
    transaction lock the first holds, and takes it once that transaction ends."""
    from search.free_time import _LOCK_CLASS

    venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Busy Rooms")
    index_venues([venue.id])  # a change row: stale
    other = db.engine.connect()
    try:
        other.execute(text("SELECT pg_advisory_xact_lock(:lock, :id)"), {"lock": _LOCK_CLASS, "id": venue.id})
        assert refresh_free_time([venue.id]) == 0
        assert changes(venue.id) > 0  # still stale: the other refresh will see to it
        other.rollback()
        assert refresh_free_time([venue.id]) == 1
        assert changes(venue.id) == 0
    finally:
        other.close()
