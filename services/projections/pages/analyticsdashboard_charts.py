"""The analytics dashboard's five charts, laid out from its figures, and how it names them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.projections.models.analytics import DIMENSION_LABELS, FORM_KEY
from services.projections.pages.charts import Bar, Chart, Seconds, bar_chart
from services.projections.web.reports import ConversionFigure, Dashboard

CHART_GROUPS = 15


@dataclass(frozen=True)
class Group:
    """A conversion group as the table names it: its name and, for a CTA, the id beside it."""

    figure: ConversionFigure
    name: str
    detail: str | None = None


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def group_of(figure: ConversionFigure, by: str) -> Group:
    key, label = figure.key, figure.label
    if key is None:
        return Group(figure, "(none captured)")
    if by == "entry_point" and key.startswith(FORM_KEY):
        return Group(figure, label or key)
    if by == "entry_point" and label and label != key:
        return Group(figure, label, key)
    return Group(figure, key)


def charts(figures: Dashboard, groups: Sequence[Group], names: tuple[str, ...]) -> dict[str, Chart]:
    return {
        "funnel": funnel(figures, names),
        "stages": stages(figures, names),
        "drop-off": drop_off(figures, names),
        "conversion": conversion(figures, groups),
        "advance": advance(figures, names),
    }


def _stage(stage: int, names: tuple[str, ...]) -> str:
    return f"{stage} · {names[stage - 1]}"


def funnel(figures: Dashboard, names: tuple[str, ...]) -> Chart:
    bars = [
        Bar(
            _stage(s.stage, names),
            ((float(s.reached), f"stage-{s.stage}"),),
            (f"{s.reached}",) if s.stage == 1 else (f"{s.reached} · step {percent(s.step_rate)}",),
        )
        for s in figures.funnel.stages
    ]
    return bar_chart("Prospects reaching each stage", bars, chart_id="funnel-chart", centered=True)


def stages(figures: Dashboard, names: tuple[str, ...]) -> Chart:
    bars = [
        Bar(
            _stage(s.stage, names),
            ((float(s.prospects), f"stage-{s.stage}"),),
            (f"{s.prospects} · {percent(s.share)}",),
        )
        for s in figures.stages.stages
    ]
    return bar_chart("Prospects per stage", bars, chart_id="stages-chart")


def drop_off(figures: Dashboard, names: tuple[str, ...]) -> Chart:
    r = figures.drop_off
    legend = ((f"inactive {r.inactive_days}+ days", "inactive"), ("active", "active"))
    bars = [
        Bar(
            _stage(s.stage, names),
            ((float(s.inactive), "inactive"), (float(s.prospects - s.inactive), "active")),
            (f"{s.inactive} of {s.prospects} · {percent(s.rate)}",),
        )
        for s in r.stages
    ]
    return bar_chart("Inactive prospects per stage", bars, legend, "drop-off-chart")


def conversion(figures: Dashboard, groups: Sequence[Group]) -> Chart:
    bars = []
    for group in groups[:CHART_GROUPS]:
        g = group.figure
        rate = g.rate or 0.0
        bars.append(
            Bar(
                group.name,
                ((100 * rate, "converted"), (100 * (1 - rate), "rest")),
                (f"{percent(g.rate)} ({g.converted} of {g.prospects})",),
            )
        )
    title = f"Conversion rate by {DIMENSION_LABELS[figures.conversion.by]}"
    return bar_chart(title, bars, chart_id="conversion-chart")


def advance(figures: Dashboard, names: tuple[str, ...]) -> Chart:
    legend = (("median", "median"), ("up to p90", "p90"), ("average", "average"))
    bars = [
        Bar(
            _stage(s.stage, names),
            (
                (s.median_seconds or 0.0, "median"),
                (max(0.0, (s.p90_seconds or 0.0) - (s.median_seconds or 0.0)), "p90"),
            ),
            ("median ", Seconds(s.median_seconds), " · p90 ", Seconds(s.p90_seconds or 0.0))
            if s.advances and s.median_seconds is not None
            else ("no advances",),
            s.average_seconds,
        )
        for s in figures.advance.stages
    ]
    return bar_chart("Time in stage before advancing", bars, legend, "advance-chart")
