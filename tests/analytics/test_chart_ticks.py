"""The charts' axes: "nice" ticks that never repeat a label, for counts, money, percentages
and ratings, on every chart of the venue's and the marketplace's analytics pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.analytics.charts import AVERAGE, COUNT, MAX_TICKS, MONEY, PERCENT, Series, bar_chart, line_chart, ticks
from tests.analytics.world import add_booking, at, build, refresh

Y_LABEL = re.compile(r'<text class="chart-tick" x="-6" y="[\d.]+" text-anchor="end">([^<]*)</text>')
SVG = re.compile(r'<svg class="chart".*?</svg>', re.S)


def _labels(axis):
    return [label for _, label in axis]


@pytest.mark.parametrize(
    ("high", "measure", "labels"),
    [
        (2, COUNT, ["0", "1", "2"]),  # not 0, 0, 1, 2, 2
        (0, COUNT, ["0", "1"]),  # an all-zero series
        (7, COUNT, ["0", "2", "4", "6", "8"]),
        (3, COUNT, ["0", "1", "2", "3"]),
        (1234.5, MONEY, ["0", "250", "500", "750", "1000", "1250"]),
        (3, MONEY, ["0", "1", "2", "3"]),
        (0.3, MONEY, ["0.00", "0.10", "0.20", "0.30"]),
        (0.012, PERCENT, ["0.00%", "0.25%", "0.50%", "0.75%", "1.00%", "1.25%"]),  # not 0%, 0%, 0%, 1%
        (0.004, PERCENT, ["0.0%", "0.1%", "0.2%", "0.3%", "0.4%"]),
        (0.8, PERCENT, ["0%", "20%", "40%", "60%", "80%"]),
        (0, PERCENT, ["0%", "20%", "40%", "60%", "80%", "100%"]),  # all zero: up to 100%
        (4.5, AVERAGE, ["0", "1", "2", "3", "4", "5"]),
    ],
)
def test_ticks_are_nice_distinct_and_reach_the_highest_value(high, measure, labels):
    axis = ticks(high, measure)
    assert _labels(axis) == labels
    values = [value for value, _ in axis]
    assert values[0] == 0 and values[-1] >= high and values == sorted(set(values))
    assert len(axis) <= MAX_TICKS


@pytest.mark.parametrize("high", [0, 0.4, 1, 2, 5, 9, 11, 17, 99, 101, 999, 12_345])
@pytest.mark.parametrize("measure", [COUNT, MONEY, PERCENT, AVERAGE])
def test_no_range_gives_repeated_labels_or_too_many_ticks(high, measure):
    value = high / 1000 if measure is PERCENT else high
    axis = ticks(value, measure)
    labels = _labels(axis)
    assert len(labels) == len(set(labels)) and 2 <= len(labels) <= MAX_TICKS
    if measure is COUNT:
        assert all(v == int(v) for v, _ in axis)


def test_a_fixed_top_is_the_axis_top():
    assert _labels(ticks(3.2, AVERAGE, top=5.0)) == ["0", "1", "2", "3", "4", "5"]


def _y_labels(svg: str) -> list[str]:
    return Y_LABEL.findall(svg)


def test_each_kind_of_chart_draws_its_ticks():
    bars = bar_chart("b", "Bookings", "d", ["a", "b", "c"], [Series("On", [0, 1, 1]), Series("Desk", [0, 1, 0])])
    assert _y_labels(bars) == ["0", "1", "2"]
    money = bar_chart("m", "GMV", "d", ["a", "b"], [Series("GMV", [60.0, 1234.5])], MONEY)
    assert _y_labels(money) == ["0", "250", "500", "750", "1000", "1250"]
    assert "b: GMV 1234.50</title>" in money  # a bar's own value keeps its pence
    occupancy = bar_chart("p", "Occupancy", "d", ["Ann", "Bo"], [Series("Occupancy", [0.012, 0.004])], PERCENT)
    assert _y_labels(occupancy) == ["0.00%", "0.25%", "0.50%", "0.75%", "1.00%", "1.25%"]
    assert "Ann: Occupancy 1.2%</title>" in occupancy
    empty = bar_chart("e", "Bookings", "d", ["a", "b"], [Series("On", [0, 0])])
    assert _y_labels(empty) == ["0", "1"] and "Highest" not in empty
    rating = line_chart("r", "Rating", "d", ["2026-10", "2026-11", "2026-12"], [4.5, None, 3.0], top=5.0)
    assert _y_labels(rating) == ["0", "1", "2", "3", "4", "5"]
    assert rating.count('class="chart-line"') == 1  # the line crosses the month without reviews


def test_the_plot_fills_its_frame_and_is_not_scaled():
    svg = bar_chart("b", "Bookings", "d", ["a", "b"], [Series("On", [1, 2])])
    assert 'width="100%"' in svg and "viewBox" not in svg  # text keeps its size on a phone
    xs = [float(x) for x in re.findall(r'<rect[^>]* x="([\d.]+)%"', svg)]
    widths = [float(w) for w in re.findall(r'<rect[^>]* width="([\d.]+)%"', svg)]
    assert xs == [5.0, 55.0] and widths == [40.0, 40.0]  # across the whole plot, no offset
    long = bar_chart("n", "Occupancy", "d", ["Alexandra Papadopoulou"], [Series("Occupancy", [0.5])], PERCENT)
    assert ">Alexandra P…</text>" in long and "Alexandra Papadopoulou: Occupancy" in long


def _assert_sensible(svg: str) -> list[str]:
    labels = _y_labels(svg)
    assert 2 <= len(labels) <= MAX_TICKS, labels
    assert len(set(labels)) == len(labels), labels
    numbers = [float(label.rstrip("%")) for label in labels]
    assert numbers[0] == 0 and numbers == sorted(numbers), labels
    return labels


def test_the_venue_page_opens_on_charts_with_distinct_ticks(web, make_user):
    world = build(make_user)
    day = world.today - timedelta(days=1)
    add_booking(world, at(day, 10), member=world.first)
    add_booking(world, at(day, 12), member=world.second, channel="desk")
    refresh()
    web.sign_in_as(world.venue.owner)
    html = web.client.get("/provider/analytics?preset=30").get_data(as_text=True)
    charts = {re.search(r'aria-labelledby="chart-([\w-]+)-t', svg).group(1): svg for svg in SVG.findall(html)}
    assert set(charts) == {"chart-daily", "chart-members"}
    assert _assert_sensible(charts["chart-daily"]) == ["0", "1", "2"]  # both bookings on one day
    # an hour each out of nine a day for 30 days: about 0.4%, so tenths of a percent
    assert _assert_sensible(charts["chart-members"])[1] == "0.1%"
    # the charts come before the summary table
    assert html.index('id="daily-heading"') < html.index('data-table="summary"')


def test_the_marketplace_page_charts_have_distinct_ticks(web, admin, make_user):
    world = build(make_user)
    add_booking(world, at(world.today - timedelta(days=1), 10), price=7000)
    refresh()
    web.sign_in_as(admin)
    html = web.client.get("/admin/analytics?preset=7").get_data(as_text=True)
    charts = SVG.findall(html)
    assert len(charts) == 3  # sign-ups, GMV, funnel
    for svg in charts:
        _assert_sensible(svg)
    assert html.index('id="signups-heading"') < html.index('data-table="summary"')
