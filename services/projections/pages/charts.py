"""Horizontal bar charts laid out on the server, in the chart's own units: rows, bars, labels
wrapped to fit their column. templates/analyticsdashboard_charts.html draws them as inline SVG
(classes for colours, no `style`), so no script or library draws and the strict CSP holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 600
LABEL_WIDTH = 165
VALUE_WIDTH = 205
LABEL_GAP = 6
ROW = 24
BAR = 16
LINE = 14
FONT = 12
LABEL_LINES = 2
ELLIPSIS = "…"

# Advance widths in em, rounded up from DejaVu Sans (the widest of the usual sans-serif fonts),
# so an estimated line is never shorter than the one drawn.
_NARROW = dict.fromkeys("ijlIJ!|.,:;'`", 0.32)
_THIN = dict.fromkeys('ftr()[]{}- /\\"', 0.42)
_CAPITAL = dict.fromkeys("ABCDEFGHKLNOPQRSTUVXYZ&#", 0.79)
_WIDE = dict.fromkeys("mwMW%@", 1.0)
_EM = {**_NARROW, **_THIN, **_CAPITAL, **_WIDE}


@dataclass(frozen=True)
class Seconds:
    """A duration in a bar's text, worded by the browser (format.js), not here."""

    value: float


@dataclass(frozen=True)
class Bar:
    """One row: stacked segments (value, CSS class) from the left, an optional marker (a value
    drawn as a tick, e.g. an average) and the figure written after the bar."""

    label: str
    segments: tuple[tuple[float, str], ...]
    text: tuple[str | Seconds, ...]
    marker: float | None = None


@dataclass(frozen=True)
class Line:
    y: float
    text: str


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    kind: str


@dataclass(frozen=True)
class Row:
    label: str
    lines: tuple[Line, ...]
    segments: tuple[Segment, ...]
    marker: tuple[float, float, float] | None
    text_x: float
    text_y: float
    text: tuple[str | Seconds, ...]


@dataclass(frozen=True)
class LegendKey:
    x: float
    name: str
    kind: str


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    width: int
    height: float
    top: float
    label_x: int
    axis: bool
    rows: tuple[Row, ...]
    legend: tuple[LegendKey, ...]


def text_width(text: str, size: float = FONT) -> float:
    return size * sum(_EM.get(c, 0.64 if c.isascii() else 1.0) for c in text)


def wrap(text: str, width: float, most: int = LABEL_LINES) -> tuple[str, ...]:
    """`text` in at most `most` lines no wider than `width`: at spaces, or inside a word too
    long for a line; what does not fit is cut and the last line ends in an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if text_width(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        while text_width(word) > width:
            cut = _fitting(word, width)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line or not lines:
        lines.append(line)
    if len(lines) <= most:
        return tuple(lines)
    last = lines[most - 1]
    while last and text_width(last + ELLIPSIS) > width:
        last = last[:-1]
    return (*lines[: most - 1], last.rstrip() + ELLIPSIS)


def _fitting(word: str, width: float) -> int:
    n = 1
    while n < len(word) and text_width(word[: n + 1]) <= width:
        n += 1
    return n


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    legend: Sequence[tuple[str, str]] = (),
    chart_id: str = "",
    *,
    centered: bool = False,
) -> Chart:
    """Bars to one scale, the largest filling the space between labels and figures; a centred
    chart (a funnel) draws each bar about the middle and its figures in one column."""
    top = 22 if legend else 4
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max(
        [sum(v for v, _ in b.segments) for b in bars] + [b.marker or 0.0 for b in bars] + [0.0]
    )
    scale = span / largest if largest > 0 else 0.0
    rows, y = [], float(top)
    for bar in bars:
        row = _row(bar, y, scale, span if centered else None)
        rows.append(row)
        y += max(ROW, LINE * len(row.lines) + 10)
    keys, x = [], float(LABEL_WIDTH)
    for name, kind in legend:
        keys.append(LegendKey(x, name, kind))
        x += 16 + text_width(name) + 18
    height = max(y, top + ROW) + 4
    return Chart(
        chart_id, title, WIDTH, height, top, LABEL_WIDTH, not centered, tuple(rows), tuple(keys)
    )


def _row(bar: Bar, y: float, scale: float, centred_in: float | None) -> Row:
    label = wrap(bar.label, LABEL_WIDTH - LABEL_GAP - 4)
    height = max(ROW, LINE * len(label) + 10)
    middle = y + height / 2
    first = middle - LINE * (len(label) - 1) / 2 + 4
    lines = tuple(Line(round(first + LINE * i, 1), text) for i, text in enumerate(label))
    total = sum(max(0.0, v) * scale for v, _ in bar.segments)
    x = LABEL_WIDTH + ((centred_in - total) / 2 if centred_in is not None else 0.0)
    segments = []
    for value, kind in bar.segments:
        width = max(0.0, value * scale)
        if width > 0:
            segments.append(Segment(round(x, 1), middle - BAR / 2, round(width, 1), kind))
        x += width
    marker = None
    if bar.marker is not None:
        mx = round(LABEL_WIDTH + bar.marker * scale, 1)
        marker = (mx, y + (height - ROW) / 2 + 2, y + (height + ROW) / 2 - 2)
    text_x = LABEL_WIDTH + centred_in + 6 if centred_in is not None else x + 6
    return Row(bar.label, lines, tuple(segments), marker, round(text_x, 1), middle + 4, bar.text)
