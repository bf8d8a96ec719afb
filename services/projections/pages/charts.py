"""Horizontal bar charts as inline SVG, drawn on the server: no script, no library, and only
presentation attributes (no `style` attribute), so the page's strict CSP holds. Every text
goes through `html.escape`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 600
LABEL_WIDTH = 165
VALUE_WIDTH = 205
ROW = 24
BAR = 16
MAX_LABEL = 26


@dataclass(frozen=True)
class Bar:
    """One row: stacked segments (value, colour) from the left, an optional marker (a value
    drawn as a tick, e.g. an average) and the figure written after the bar."""

    label: str
    segments: tuple[tuple[float, str], ...]
    text: str
    marker: float | None = None


def bar_chart(
    title: str, bars: Sequence[Bar], legend: Sequence[tuple[str, str]] = (), chart_id: str = ""
) -> str:
    top = 22 if legend else 4
    height = top + ROW * max(1, len(bars)) + 4
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max(
        [sum(v for v, _ in b.segments) for b in bars] + [b.marker or 0.0 for b in bars] + [0.0]
    )
    scale = span / largest if largest > 0 else 0.0
    rows = "".join(_row(b, top + i * ROW, scale) for i, b in enumerate(bars))
    if not bars:
        rows = f'<text x="{LABEL_WIDTH}" y="{top + 16}" fill="#6a7586">No data</text>'
    keys, x = "", LABEL_WIDTH
    for name, colour in legend:
        keys += (
            f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="14" font-size="12" fill="#4a5668">{escape(name)}</text>'
        )
        x += 16 + 7 * len(name) + 18
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return (
        f'<svg class="chart"{ident} role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif">'
        f"<title>{escape(title)}</title>{keys}"
        f'<line x1="{LABEL_WIDTH}" y1="{top}" x2="{LABEL_WIDTH}" y2="{height - 4}" '
        f'stroke="#9aa6b6"/>{rows}</svg>'
    )


def _row(bar: Bar, y: int, scale: float) -> str:
    label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[: MAX_LABEL - 1] + "…"
    parts = [
        f'<g class="bar"><title>{escape(bar.label)}: {escape(bar.text)}</title>'
        f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end" font-size="12" '
        f'fill="#1c2430">{escape(label)}</text>'
    ]
    x = float(LABEL_WIDTH)
    for value, colour in bar.segments:
        width = max(0.0, value * scale)
        if width > 0:
            parts.append(
                f'<rect x="{x:.1f}" y="{y + (ROW - BAR) / 2:.1f}" width="{width:.1f}" '
                f'height="{BAR}" fill="{colour}"/>'
            )
        x += width
    if bar.marker is not None:
        mx = LABEL_WIDTH + bar.marker * scale
        parts.append(
            f'<line x1="{mx:.1f}" y1="{y + 2}" x2="{mx:.1f}" y2="{y + ROW - 2}" '
            'stroke="#18263a" stroke-width="2"/>'
        )
    parts.append(
        f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12" fill="#4a5668">'
        f"{escape(bar.text)}</text></g>"
    )
    return "".join(parts)
