"""The period chooser, the occupancy arithmetic and the SVG charts: plain functions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.analytics import occupancy
from app.analytics.charts import Series, bar_chart, line_chart
from app.analytics.periods import Period, choose
from app.platform.errors import ValidationFailed
from app.slot_engine.engine import MemberSchedule

TODAY = date(2026, 11, 26)


def test_a_preset_is_the_last_days_with_today_and_the_previous_period_is_as_long(ctx):
    period = choose("7", None, None, today=TODAY)
    assert (period.first, period.last, period.days) == (date(2026, 11, 20), TODAY, 7)
    before = period.previous()
    assert (before.first, before.last) == (date(2026, 11, 13), date(2026, 11, 19))
    assert choose(None, None, None, today=TODAY).days == 30


def test_custom_dates_include_both_ends(ctx):
    period = choose(None, "2026-10-01", "2026-10-31", today=TODAY)
    assert period == Period(date(2026, 10, 1), date(2026, 11, 1), None)


@pytest.mark.parametrize(
    ("preset", "start", "end", "message"),
    [
        ("14", None, None, "last 7, 30 or 90 days"),
        (None, "2026-13-01", "2026-12-01", "YYYY-MM-DD"),
        (None, "2026-10-01", None, "YYYY-MM-DD"),
        (None, "2026-10-05", "2026-10-01", "before the start"),
        (None, "2024-01-01", "2026-01-01", "at most 366 days"),
        (None, "1999-12-01", "1999-12-02", "between 2000"),
    ],
)
def test_bad_periods_are_refused_with_a_message(ctx, preset, start, end, message):
    with pytest.raises(ValidationFailed, match=message):
        choose(preset, start, end, today=TODAY)


def test_intervals_intersect_and_subtract():
    assert occupancy.intersect([(540, 720), (780, 1080)], [(600, 900)]) == [(600, 720), (780, 900)]
    assert occupancy.subtract([(540, 1080)], [(600, 660), (650, 700)]) == [(540, 600), (700, 1080)]
    grid = defaultdict(int)
    occupancy.add_by_hour(grid, 0, (570, 690))
    assert dict(grid) == {(0, 9): 30, (0, 10): 60, (0, 11): 30}


def test_available_minutes_follow_hours_schedules_closures_time_off_and_blocks():
    zone = ZoneInfo("Europe/London")
    monday, tuesday, wednesday = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
    hours = {d: [(540, 1080)] for d in range(7)}  # 09:00-18:00
    schedules = {
        # member 2 works 08:00-12:00 on Mondays only: 09:00-12:00 inside opening hours
        2: MemberSchedule(weekly={0: [(480, 720)]}),
        # member 3 has Monday 10:00-11:00 off
        3: MemberSchedule(time_off=((datetime(2026, 11, 23, 10, tzinfo=UTC), datetime(2026, 11, 23, 11, tzinfo=UTC)),)),
    }
    blocks = [(None, datetime(2026, 11, 23, 17, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC))]
    found = occupancy.available_minutes(
        [monday, tuesday, wednesday], zone, hours, [(wednesday, wednesday)], [1, 2, 3], schedules, blocks
    )
    # Monday: 1 works 9-17 (block 17-18) = 480; 2 works 9-12 = 180; 3 works 9-17 less 10-11 = 420
    # Tuesday: 1 and 3 work 540 each, 2 is off; Wednesday: closed
    assert found.by_member == {1: 480 + 540, 2: 180, 3: 420 + 540}
    assert found.by_hour[(0, 10)] == 60 + 60  # members 1 and 2 (3 is off)
    assert found.by_hour[(0, 17)] == 0
    assert (2, 9) not in found.by_hour


def test_charts_are_labelled_svg_with_escaped_text():
    svg = bar_chart("c1", "Bookings <per> day", "desc", ["a", "b"], [Series("On&line", [1, 2]), Series("Desk", [0, 3])])
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg
    assert 'aria-labelledby="chart-c1-t chart-c1-d"' in svg
    assert '<title id="chart-c1-t">Bookings &lt;per&gt; day</title>' in svg
    assert "On&amp;line" in svg and svg.count("<rect") == 3  # the zero bar is not drawn
    assert "desc Highest: b, 5.</desc>" in svg  # the description names the highest bar
    line = line_chart("c2", "Rating", "desc", ["2026-10", "2026-11"], [4.5, None], top=5.0)
    assert line.count("<circle") == 1 and 'class="chart-line"' not in line  # one point: no line
