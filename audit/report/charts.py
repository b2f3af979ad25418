"""Geometry for the report's charts; ``_charts.html.j2`` draws it as inline SVG.

No chart library: a chart here is a few rectangles, paths and labels whose coordinates are
computed in Python (where they can be tested) and written out by jinja2 macros, so the HTML
file and the PDF show the same picture. Coordinates are in SVG user units of a 680-unit wide
view box; on A4 (176 mm of text width) 11 units print at 8 pt.

Colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), and no series is told apart by colour alone: lines also differ in dash
pattern and carry a text label.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 680
#: Vertical room one label line needs, in view-box units.
LABEL_GAP = 13.0
#: Average width of a character of the chart font (Noto Sans at 10.5 units), rounded up.
CHAR_WIDTH = 6.1
BLUE = "#0072B2"
VERMILION = "#D55E00"
INK = "#1d2939"
MUTED = "#5d6b82"

_BYTE_UNITS = (
    ("B", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1024.0**2),
    ("GiB", 1024.0**3),
    ("TiB", 1024.0**4),
)
_TIME_UNITS = (("s", 1.0), ("min", 60.0), ("h", 3600.0), ("d", 86400.0))


@dataclass(frozen=True)
class Scale:
    """Values are divided by ``divisor`` and shown in ``unit`` on an axis."""

    unit: str
    divisor: float


def byte_scale(maximum: float) -> Scale:
    chosen = _BYTE_UNITS[0]
    for unit in _BYTE_UNITS:
        if maximum >= unit[1]:
            chosen = unit
    return Scale(*chosen)


def time_scale(maximum: float) -> Scale:
    chosen = _TIME_UNITS[0]
    for unit, divisor in _TIME_UNITS:
        if maximum >= 3 * divisor:
            chosen = (unit, divisor)
    return Scale(*chosen)


def nice_step(maximum: float, count: int = 5) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k step that covers ``maximum`` in ``count`` ticks."""
    if maximum <= 0 or not math.isfinite(maximum):
        return 1.0
    rough = maximum / count
    power = 10.0 ** math.floor(math.log10(rough))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= rough:
            return factor * power
    return 10 * power


def tick_values(maximum: float, count: int = 5) -> list[float]:
    """Ticks from 0 past ``maximum``; data up to 1 % beyond a tick ends on that tick."""
    step = nice_step(maximum, count)
    n = max(1, math.ceil(maximum / step - 0.01))
    return [i * step for i in range(n + 1)]


def tick_label(value: float, step: float) -> str:
    decimals = 0
    while decimals < 4 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    title: str
    y: float
    height: float
    x0: float
    x1: float
    low_x: float | None
    high_x: float | None
    value_text: str
    text_x: float
    #: ``inside``: the value sits in the bar, right-aligned at its end; ``after``: past the
    #: end (a bar too short to hold it), on a white ground where the whisker crosses it.
    text_place: str = "after"
    spread_x0: float | None = None
    spread_x1: float | None = None

    @property
    def text_box(self) -> tuple[float, float, float, float]:
        """x, y, width, height of the ground behind the value (the whisker stops at it)."""
        width = CHAR_WIDTH * len(self.value_text) + 4
        x = self.text_x - width + 2 if self.text_place == "inside" else self.text_x - 2
        return round(x, 2), round(self.y + 1, 2), round(width, 2), round(self.height - 2, 2)


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, with an optional low-high whisker (the model's
    uncertainty) and an optional thin line under the bar (the workload's p50-p95)."""

    id: str
    title: str
    desc: str
    height: float
    left: float
    right: float
    top: float
    bottom: float
    ticks: list[Tick]
    axis_label: str
    bars: list[Bar]
    width: int = WIDTH
    kind: str = "bars"


@dataclass(frozen=True)
class BarRow:
    label: str
    expected: float
    low: float | None = None
    high: float | None = None
    #: The workload's spread over the window (p50, p95), drawn apart from the model's range.
    spread: tuple[float, float] | None = None


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return f"{text[:head]}…{text[len(text) - (limit - 1 - head) :]}"


def _value_place(x0: float, x1: float, high_x: float | None, text: str) -> tuple[float, str]:
    """Where a bar's value goes: inside the bar's end when it fits there, else just past the
    end (past the whisker's cap when the cap would sit under the value)."""
    width = CHAR_WIDTH * len(text) + 8
    if x1 - x0 >= width:
        return round(x1 - 4, 2), "inside"
    if high_x is not None and x1 + 4 < high_x < x1 + width:
        return round(high_x + 5, 2), "after"
    return round(x1 + 5, 2), "after"


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[BarRow],
    *,
    scale: Scale,
    axis_label: str,
    value_text: Callable[[float], str],
    label_chars: int = 32,
) -> BarChart:
    left, right, top = 215.0, WIDTH - 105.0, 8.0
    row, bar = 22.0, 13.0
    bottom = top + row * len(rows)
    maximum = (
        max(
            (max(r.expected, r.high or 0.0, r.spread[1] if r.spread else 0.0) for r in rows),
            default=0.0,
        )
        / scale.divisor
    )
    values = tick_values(maximum)
    span = values[-1] or 1.0
    step = values[1] - values[0] if len(values) > 1 else 1.0

    def x(value: float) -> float:
        return round(left + (right - left) * (value / scale.divisor) / span, 2)

    bars = []
    for i, r in enumerate(rows):
        y = top + i * row + (row - bar) / 2
        low_x = x(r.low) if r.low is not None and r.high is not None else None
        high_x = x(r.high) if r.low is not None and r.high is not None else None
        text = value_text(r.expected)
        text_x, place = _value_place(left, x(r.expected), high_x, text)
        bars.append(
            Bar(
                label=shorten(r.label, label_chars),
                title=r.label,
                y=round(y, 2),
                height=bar,
                x0=left,
                x1=x(r.expected),
                low_x=low_x,
                high_x=high_x,
                value_text=text,
                text_x=text_x,
                text_place=place,
                spread_x0=x(r.spread[0]) if r.spread else None,
                spread_x1=x(r.spread[1]) if r.spread else None,
            )
        )
    ticks = [Tick(pos=x(v * scale.divisor), label=tick_label(v, step)) for v in values]
    return BarChart(
        id=chart_id,
        title=title,
        desc=desc,
        height=round(bottom + 42, 2),
        left=left,
        right=right,
        top=top,
        bottom=round(bottom, 2),
        ticks=ticks,
        axis_label=axis_label,
        bars=bars,
    )


@dataclass(frozen=True)
class Line:
    path: str
    colour: str
    dash: str | None
    width: float
    label: str
    label_x: float
    label_y: float
    anchor: str = "end"

    @property
    def label_box(self) -> tuple[float, float, float, float]:
        """x, y, width, height of a white box behind the label, so lines do not cross it."""
        width = CHAR_WIDTH * len(self.label) + 4
        x = self.label_x - width + 2 if self.anchor == "end" else self.label_x - 2
        return round(x, 2), round(self.label_y - 10, 2), round(width, 2), 13.0


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    colour: str
    dash: str | None
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    colour: str


@dataclass(frozen=True)
class LineChart:
    """Lines over a time axis, with labelled horizontal and vertical reference lines."""

    id: str
    title: str
    desc: str
    height: float
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_label: str
    y_label: str
    lines: list[Line]
    legend: list[LegendItem] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    notes: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    kind: str = "lines"


@dataclass(frozen=True)
class Reference:
    """A horizontal line at ``value`` (``vertical``: at that x instead), with its label."""

    value: float
    label: str
    colour: str
    dash: str | None
    vertical: bool = False


@dataclass(frozen=True)
class Trace:
    points: list[tuple[float, float]]
    colour: str
    dash: str | None
    label: str
    width: float = 2.0
    step: bool = False


class Plot:
    """Maps data to the plot area of a line chart."""

    left, right, top = 62.0, WIDTH - 16.0, 12.0

    def __init__(self, x_max: float, y_max: float, x_scale: Scale, y_scale: Scale, height: float):
        self.bottom = height - 46.0
        self.x_scale, self.y_scale = x_scale, y_scale
        self.x_values = tick_values(x_max / x_scale.divisor, 6)
        self.y_values = tick_values(y_max / y_scale.divisor, 4)
        self.x_span = self.x_values[-1] or 1.0
        self.y_span = self.y_values[-1] or 1.0

    def x(self, value: float) -> float:
        ratio = value / self.x_scale.divisor / self.x_span
        return round(self.left + (self.right - self.left) * ratio, 2)

    def y(self, value: float) -> float:
        ratio = value / self.y_scale.divisor / self.y_span
        return round(self.bottom - (self.bottom - self.top) * ratio, 2)

    def ticks(
        self, values: list[float], at: Callable[[float], float], divisor: float
    ) -> list[Tick]:
        step = values[1] - values[0] if len(values) > 1 else 1.0
        return [Tick(pos=at(v * divisor), label=tick_label(v, step)) for v in values]


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    traces: Sequence[Trace],
    *,
    x_scale: Scale,
    y_scale: Scale,
    x_label: str,
    y_label: str,
    references: Sequence[Reference] = (),
    notes: Sequence[str] = (),
    height: float = 250.0,
    markers: bool = False,
) -> LineChart:
    xs = [x for t in traces for x, _ in t.points] + [r.value for r in references if r.vertical]
    ys = [y for t in traces for _, y in t.points] + [r.value for r in references if not r.vertical]
    plot = Plot(max(xs, default=1.0), max(ys, default=1.0) * 1.08, x_scale, y_scale, height)
    lines: list[Line] = []
    dots: list[Marker] = []
    legend: list[LegendItem] = []
    legend_x = plot.left + 8
    for trace in traces:
        if not trace.points:
            continue
        coords = [(plot.x(x), plot.y(y)) for x, y in trace.points]
        path = f"M{coords[0][0]} {coords[0][1]}"
        for (_, y0), (x1, y1) in itertools.pairwise(coords):
            path += f" H{x1} V{y1}" if trace.step and y0 != y1 else f" L{x1} {y1}"
        lines.append(Line(path, trace.colour, trace.dash, trace.width, "", 0.0, 0.0))
        if trace.label:
            legend.append(
                LegendItem(legend_x, plot.top + 10, trace.colour, trace.dash, trace.label)
            )
            legend_x += 34 + CHAR_WIDTH * len(trace.label)
        if markers:
            dots += [Marker(cx, cy, trace.colour) for cx, cy in coords]
    note_y = plot.top + (28 if legend else 12)
    note_ticks = []
    for note in notes:
        note_ticks.append(Tick(pos=note_y, label=note))
        note_y += 14
    label_ys: list[float] = []
    for ref in sorted(references, key=lambda r: (r.vertical, -r.value)):
        if ref.vertical:
            x = plot.x(ref.value)
            path = f"M{x} {plot.top} V{plot.bottom}"
            lines.append(
                Line(path, ref.colour, ref.dash, 1.2, ref.label, x + 4, plot.bottom - 6, "start")
            )
            continue
        y = plot.y(ref.value)
        label_y = y - 4
        if any(abs(label_y - other) < LABEL_GAP for other in label_ys):
            label_y = y + 12
        while any(abs(label_y - other) < LABEL_GAP for other in label_ys):
            label_y += LABEL_GAP
        label_ys.append(label_y)
        lines.append(
            Line(
                f"M{plot.left} {y} H{plot.right}",
                ref.colour,
                ref.dash,
                1.2,
                ref.label,
                plot.right - 4,
                label_y,
            )
        )
    return LineChart(
        id=chart_id,
        title=title,
        desc=desc,
        height=height,
        left=plot.left,
        right=plot.right,
        top=plot.top,
        bottom=plot.bottom,
        x_ticks=plot.ticks(plot.x_values, plot.x, x_scale.divisor),
        y_ticks=plot.ticks(plot.y_values, plot.y, y_scale.divisor),
        x_label=x_label,
        y_label=y_label,
        lines=lines,
        legend=legend,
        markers=dots,
        notes=note_ticks,
    )
