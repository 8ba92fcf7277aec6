"""Small server-rendered SVG charts: stacked bars and a line, our own (no chart library).

Each chart is an ``<svg role="img">`` with a ``<title>`` (its name, for screen readers) and a
``<desc>``; every page shows the numbers in a table too, so the picture is never the only
way to read them. Colours are CSS classes (static/css: ``.chart-*``) set from Bootstrap's
variables, so light and dark mode follow the page; text uses ``currentColor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    css: str = "chart-a"  # chart-a, chart-b, chart-c


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _axis(top: float, fmt: str) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - i / 4)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = fmt.format(value)
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    return parts


def _x_labels(labels: Sequence[str], step_width: float) -> list[str]:
    every = max(1, len(labels) // 8)  # at most about eight labels under the axis
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = LEFT + step_width * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>')
    return parts


def _frame(key: str, title: str, description: str, body: list[str]) -> Markup:
    n = escape(key)
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-{n}-t chart-{n}-d"'
        f' preserveAspectRatio="xMidYMid meet" fill="currentColor" font-size="11">'
        f'<title id="chart-{n}-t">{escape(title)}</title><desc id="chart-{n}-d">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )
    return Markup(svg)  # noqa: S704 - every text in it went through escape() above


def bar_chart(
    key: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series], fmt: str = "{:.0f}"
) -> Markup:
    """Stacked bars, one per label."""
    count = max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    step = (WIDTH - LEFT - RIGHT) / count
    height = HEIGHT - TOP - BOTTOM
    body = _axis(top, fmt)
    for i in range(len(labels)):
        base = 0.0
        for s in series:
            value = s.values[i]
            if value <= 0:
                continue
            h = height * value / top
            y = TOP + height * (1 - (base + value) / top)
            body.append(
                f'<rect class="{escape(s.css)}" x="{LEFT + step * i + step * 0.1:.1f}" y="{y:.1f}"'
                f' width="{max(step * 0.8, 1):.1f}" height="{h:.1f}"><title>{escape(labels[i])}: {escape(s.name)}'
                f" {escape(fmt.format(value))}</title></rect>"
            )
            base += value
    body += _x_labels(labels, step)
    return _frame(key, title, description, body)


def line_chart(
    key: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    top: float | None = None,
    fmt: str = "{:.1f}",
) -> Markup:
    """A line through the known values (None: a gap), with a dot on each."""
    count = max(len(labels), 1)
    top = top or _nice_max(max((v for v in values if v is not None), default=0))
    step = (WIDTH - LEFT - RIGHT) / count
    height = HEIGHT - TOP - BOTTOM
    body = _axis(top, fmt)
    points = []
    for i, value in enumerate(values):
        if value is None:
            continue
        x, y = LEFT + step * (i + 0.5), TOP + height * (1 - value / top)
        points.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle class="chart-a" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(labels[i])}:'
            f" {escape(fmt.format(value))}</title></circle>"
        )
    if len(points) > 1:
        body.insert(len(_axis(top, fmt)), f'<polyline class="chart-line" fill="none" points="{" ".join(points)}"/>')
    body += _x_labels(labels, step)
    return _frame(key, title, description, body)
