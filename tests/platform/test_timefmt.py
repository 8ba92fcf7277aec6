"""How times read: plain on ordinary days, with their zone on days the clocks change, and
never two instants of one local day with the same words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.platform import timefmt

LONDON = ZoneInfo("Europe/London")
# (zone, a day its clocks go back, a day they go forward), 2026
CHANGES = [
    ("Europe/London", date(2026, 10, 25), date(2026, 3, 29)),
    ("America/New_York", date(2026, 11, 1), date(2026, 3, 8)),
    ("Australia/Sydney", date(2026, 4, 5), date(2026, 10, 4)),
    ("Australia/Lord_Howe", date(2026, 4, 5), date(2026, 10, 4)),  # half-hour changes, numeric names
    ("America/Havana", date(2026, 11, 1), date(2026, 3, 8)),  # changes at midnight
]


def minutes_of(day: date, zone: ZoneInfo) -> list[datetime]:
    """Every real minute of the local day, as UTC instants."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return [start + timedelta(minutes=n) for n in range(int((end - start).total_seconds() // 60))]


def test_an_ordinary_day_reads_plainly():
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert timefmt.clock_label(start, LONDON) == "09:00"
    assert timefmt.moment_label(start, LONDON) == "Mon 1 Jun 2026, 09:00"
    assert timefmt.span_label(start, start + timedelta(hours=1), LONDON) == "Mon 1 Jun 2026, 09:00–10:00"
    assert timefmt.clock_change_note(date(2026, 6, 1), LONDON) is None
    assert timefmt.zone_names_on(date(2026, 6, 1), LONDON) == "BST"


def test_the_bug_report_booking_reads_as_two_different_times():
    # 60 minutes from the first 01:30 of 25 October 2026 ends at the second 01:30.
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    end = start + timedelta(hours=1)
    assert timefmt.span_label(start, end, LONDON) == "Sun 25 Oct 2026, 01:30 BST–01:30 GMT"
    assert timefmt.time_span_label(start, end, LONDON) == "01:30 BST–01:30 GMT"
    assert timefmt.start_and_end(start, end, LONDON) == ("Sun 25 Oct 2026, 01:30 BST", "01:30 GMT")
    assert (
        timefmt.venue_span_label(start, end, "Europe/London", pattern=timefmt.LONG_DAY)
        == "Sunday 25 October 2026, 01:30 BST–01:30 GMT (Europe/London)"
    )


def test_a_span_ending_on_a_change_day_marks_both_ends():
    start = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # Sat 23:30 BST
    assert timefmt.time_span_label(start, start + timedelta(hours=1), LONDON) == "24 Oct 23:30 BST – 25 Oct 00:30 BST"
    assert (
        timefmt.span_label(start, start + timedelta(hours=2), LONDON)
        == "Sat 24 Oct 2026, 23:30 BST – Sun 25 Oct 2026, 01:30 BST"
    )
    before_midnight = datetime(2026, 10, 23, 22, 30, tzinfo=UTC)  # Fri 23:30 BST, until midnight
    assert timefmt.time_span_label(before_midnight, before_midnight + timedelta(minutes=30), LONDON) == "23:30–00:00"


def test_a_zone_without_abbreviations_shows_its_offset():
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    start = datetime(2026, 4, 4, 14, 45, tzinfo=UTC)  # 01:45 +11:00, then 01:45 +10:30 half an hour later
    assert timefmt.clock_label(start, lord_howe) == "01:45 +11:00"
    assert timefmt.clock_label(start + timedelta(minutes=30), lord_howe) == "01:45 +10:30"
    assert timefmt.zone_abbreviation(datetime(2026, 6, 1, tzinfo=ZoneInfo("Asia/Kolkata"))) == "IST"
    assert timefmt.zone_abbreviation(datetime(2026, 6, 1, tzinfo=ZoneInfo("America/Sao_Paulo"))) == "-03:00"


@pytest.mark.parametrize(("tz", "back", "forward"), CHANGES)
def test_every_minute_of_a_change_day_has_its_own_words(tz, back, forward):
    zone = ZoneInfo(tz)
    for day in (back, forward):
        assert timefmt.clocks_change_on(day, zone)
        assert not timefmt.clocks_change_on(day + timedelta(days=1), zone)
        labels = [timefmt.moment_label(moment, zone) for moment in minutes_of(day, zone)]
        assert len(set(labels)) == len(labels)
        assert all(" " in label.rsplit(", ", 1)[1] for label in labels)  # each names its zone


@pytest.mark.parametrize(("tz", "back", "forward"), CHANGES)
def test_the_change_is_described_in_words(tz, back, forward):
    zone = ZoneInfo(tz)
    assert timefmt.clock_change_note(back, zone).startswith("Clocks go back")
    assert timefmt.clock_change_note(forward, zone).startswith("Clocks go forward")


def test_the_descriptions_name_the_hours_and_zones():
    assert timefmt.clock_change_note(date(2026, 10, 25), LONDON) == (
        "Clocks go back an hour on this day: 01:00–02:00 happens twice, first in BST, then in GMT."
    )
    assert timefmt.clock_change_note(date(2026, 3, 29), LONDON) == (
        "Clocks go forward an hour on this day: 01:00–02:00 doesn't happen (GMT before, BST after)."
    )
    assert timefmt.clock_change_note(date(2026, 4, 5), ZoneInfo("Australia/Lord_Howe")) == (
        "Clocks go back 30 minutes on this day: 01:30–02:00 happens twice, first in +11:00, then in +10:30."
    )
    assert timefmt.clock_change_note(date(2026, 3, 8), ZoneInfo("America/Havana")) == (
        "Clocks go forward an hour on this day: 00:00–01:00 doesn't happen (CST before, CDT after)."
    )
    assert timefmt.zone_names_on(date(2026, 10, 25), LONDON) == "BST, then GMT"


def test_an_unknown_or_empty_zone_reads_as_utc():
    assert timefmt.venue_zone("Mars/Olympus_Mons").key == "UTC"
    assert timefmt.venue_zone("").key == "UTC"
    assert timefmt.venue_zone(None).key == "UTC"
    assert timefmt.venue_zone("Europe/London") is timefmt.venue_zone("Europe/London")


def test_a_venues_zone_and_a_bookings_local_start_come_from_the_venue_itself():
    london, nowhere = SimpleNamespace(timezone="Europe/London"), SimpleNamespace(timezone="Mars/Olympus_Mons")
    assert timefmt.venue_zone(london) is timefmt.venue_zone("Europe/London")
    assert timefmt.venue_zone(nowhere).key == "UTC"
    booking = SimpleNamespace(starts_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), venue=london)
    assert timefmt.local_start(booking).strftime("%H:%M %Z") == "01:30 BST"
