"""Small server-rendered SVG charts: stacked bars and a line, our own (no chart library).

Each chart is an ``<svg role="img">`` with a ``<title>`` (its name, for screen readers) and a
``<desc>``; every page shows the numbers in a table too, so the picture is never the only
way to read them. Colours are CSS classes (static/css/analytics.css: ``.chart-*``) set from
Bootstrap's variables, so light and dark mode follow the page; text uses ``currentColor``.

The drawing is not scaled: the svg has no viewBox, so text stays at its real size on a phone
as on a desktop. Heights are pixels; positions across are percentages of the plot's width,
so the plot fills its frame at any width. The y-axis labels sit in the svg's left padding
(``.chart`` in the stylesheet: its ``padding-left`` is ``GUTTER``), drawn at negative x.

The y axis is stepped by ``ticks``: "nice" steps (1, 2, 2.5 or 5 x 10^n), at most
``MAX_TICKS`` of them, whole numbers only for counts, and labels with just the decimals that
keep them distinct.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

HEIGHT = 220  # px: the plot and the x-axis labels under it
TOP, BOTTOM = 10, 26  # px above the plot, and below it for the x-axis labels
GUTTER = 52  # px left of the plot for the y-axis labels: .chart's padding-left in analytics.css
MAX_TICKS = 6
MAX_X_LABELS = 7  # at most this many labels under the axis, so they fit on a phone
LABEL_CHARS = 12  # an x-axis label longer than this is cut (the bar's tooltip has it whole)


@dataclass(frozen=True)
class Measure:
    """What a chart's values are: how its axis is stepped and how a value reads."""

    whole: bool = False  # counts: steps of whole numbers
    percent: bool = False  # fractions (0.25) read as percentages (25%)
    decimals: int = 0  # a single value (a tooltip): its decimals
    min_decimals: int = 0  # an axis label: at least these decimals (money: 2 once there are any)

    def scaled(self, value: float) -> float:
        return value * 100 if self.percent else value

    def text(self, value: float, decimals: int | None = None) -> str:
        places = self.decimals if decimals is None else decimals
        return f"{self.scaled(value):.{places}f}" + ("%" if self.percent else "")


COUNT = Measure(whole=True)
MONEY = Measure(decimals=2, min_decimals=2)
PERCENT = Measure(percent=True, decimals=1)
AVERAGE = Measure(decimals=1)  # a rating out of 5


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    css: str = "chart-a"  # chart-a, chart-b, chart-c


def _decimals(step: float) -> int:
    """The fewest decimals that write ``step`` (and so every multiple of it) exactly."""
    for places in range(10):
        if abs(step * 10**places - round(step * 10**places)) < 1e-6:
            return places
    return 10


def ticks(high: float, measure: Measure = COUNT, *, top: float | None = None) -> list[tuple[float, str]]:
    """The y axis from 0 up to at least ``high`` (or exactly ``top``): (value, label) pairs.

    Steps of 1, 2, 2.5 or 5 x 10^n, at most MAX_TICKS ticks; whole steps for a count; an
    all-zero series is drawn up to 1 (a count: 0 and 1; a percentage: 0% to 100%).
    Labels carry the decimals their step needs, so no two are alike (0.0%, 0.5%, 1.0%; never 0%, 0%, 1%).
    """
    ceiling = top if top is not None else high
    if ceiling <= 0:
        ceiling = 1.0
    shown = measure.scaled(ceiling)  # steps are chosen as read: 0.5% not 0.005
    rough = shown / (MAX_TICKS - 1)
    magnitude = 10 ** math.floor(math.log10(rough))
    step = 10 * magnitude
    for multiple in (1, 2, 2.5, 5):
        candidate = multiple * magnitude
        if candidate >= rough - 1e-12 and not (measure.whole and candidate != round(candidate)):
            step = candidate
            break
    if measure.whole:
        step = max(step, 1.0)
    count = math.ceil(shown / step - 1e-9)
    if top is not None and abs(count * step - shown) > 1e-9:
        step, count = shown / (MAX_TICKS - 1), MAX_TICKS - 1  # a fixed top no nice step reaches
    places = _decimals(step)
    if places:
        places = max(places, measure.min_decimals)
    unit = 100 if measure.percent else 1
    return [(round(i * step, 9) / unit, measure.text(i * step / unit, places)) for i in range(count + 1)]


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _axis(axis: list[tuple[float, str]]) -> list[str]:
    top = axis[-1][0]
    parts = []
    for value, label in axis:
        y = _y(value, top)
        css = "chart-axis" if value == 0 else "chart-grid"
        parts.append(f'<line class="{css}" x1="0" x2="100%" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="-6" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return parts


def _x(i: int, count: int) -> float:
    """The middle of slot ``i`` of ``count``, in percent of the plot's width."""
    return 100 * (i + 0.5) / count


def _x_labels(labels: Sequence[str]) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        text = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        parts.append(
            f'<text class="chart-tick" x="{_x(i, len(labels)):.2f}%" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    return parts


def _frame(key: str, title: str, description: str, body: list[str], highest: tuple[str, str] | None) -> Markup:
    """The svg around ``body``; its description ends with the highest value, when there is one."""
    n = escape(key)
    if highest is not None:
        description += " " + _("Highest: %(label)s, %(value)s.", label=highest[0], value=highest[1])
    svg = (
        f'<svg class="chart" width="100%" height="{HEIGHT}" role="img" aria-labelledby="chart-{n}-t chart-{n}-d"'
        f' fill="currentColor" font-size="12">'
        f'<title id="chart-{n}-t">{escape(title)}</title><desc id="chart-{n}-d">{escape(description)}</desc>'
        f'<g class="chart-plot">{"".join(body)}</g>'
        "</svg>"
    )
    return Markup(svg)  # noqa: S704 - every text in it went through escape() above


def bar_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    measure: Measure = COUNT,
) -> Markup:
    """Stacked bars, one per label."""
    count = max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    axis = ticks(max(totals, default=0), measure)
    top = axis[-1][0]
    width = 100 / count
    body = _axis(axis)
    for i in range(len(labels)):
        base = 0.0
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            y = _y(base + value, top)
            body.append(
                f'<rect class="{escape(s.css)}" x="{width * (i + 0.1):.2f}%" y="{y:.1f}"'
                f' width="{width * 0.8:.2f}%" height="{_y(base, top) - y:.1f}"><title>{escape(labels[i])}:'
                f" {escape(s.name)} {escape(measure.text(value))}</title></rect>"
            )
            base += value
    body += _x_labels(labels)
    peak = max(range(len(labels)), key=lambda i: totals[i], default=None)
    highest = None if peak is None or totals[peak] <= 0 else (labels[peak], measure.text(totals[peak]))
    return _frame(key, title, description, body, highest)


def line_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    top: float | None = None,
    measure: Measure = AVERAGE,
) -> Markup:
    """A line through the known values (None: a gap the line crosses), with a dot on each."""
    count = max(len(labels), 1)
    axis = ticks(max((v for v in values if v is not None), default=0), measure, top=top)
    ceiling = axis[-1][0]
    body = _axis(axis)
    points = [(_x(i, count), _y(value, ceiling), i, value) for i, value in enumerate(values) if value is not None]
    for start, end in itertools.pairwise(points):
        body.append(
            f'<line class="chart-line" x1="{start[0]:.2f}%" y1="{start[1]:.1f}" x2="{end[0]:.2f}%" y2="{end[1]:.1f}"/>'
        )
    for x, y, i, value in points:
        body.append(
            f'<circle class="chart-a" cx="{x:.2f}%" cy="{y:.1f}" r="3.5"><title>{escape(labels[i])}:'
            f" {escape(measure.text(value))}</title></circle>"
        )
    body += _x_labels(labels)
    peak = max(points, key=lambda point: point[3], default=None)
    highest = None if peak is None else (labels[peak[2]], measure.text(peak[3]))
    return _frame(key, title, description, body, highest)
