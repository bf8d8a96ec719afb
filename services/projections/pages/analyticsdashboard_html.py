"""The analytics dashboard's HTML: the filter form, then one section per figure with its chart
and its table. Every value goes through `html.escape`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from services.projections.models.analytics import DIMENSION_LABELS
from services.projections.models.board import stage_name
from services.projections.pages.charts import Bar, bar_chart
from services.projections.pages.legacy import humanise
from services.projections.web.analytics import PREFIX
from services.projections.web.reports import (
    AdvanceReport,
    ConversionReport,
    DropOffReport,
    StagesReport,
)

STAGE_COLOURS = ("#8aa4c8", "#5b9bd5", "#48a999", "#e0a030", "#d9663a", "#8e5bbf")
CHART_GROUPS = 15


@dataclass(frozen=True)
class Dashboard:
    who: str
    names: tuple[str, ...]
    typed: dict[str, str]
    errors: list[str]
    csv_query: dict[str, str]
    stages: StagesReport
    conversion: ConversionReport
    advance: AdvanceReport
    drop_off: DropOffReport
    by_options: list[tuple[str, str]]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else humanise(seconds)


def dashboard_body(view: Dashboard) -> str:
    errors = "".join(f"<li>{escape(e)}</li>" for e in view.errors)
    shown = f'<ul class="errors" role="alert">{errors}</ul>' if view.errors else ""
    return (
        '<header class="top"><h1>Analytics</h1>'
        f'<span class="who">{escape(view.who)}<button id="logout" type="button">Log out</button>'
        f"</span></header>{_form(view)}{shown}"
        '<main><p class="summary">Stage distribution, conversion and drop-off count the '
        "prospects first seen in the chosen days; time to advance counts the moves made in "
        'them · <a href="/customerjourney">Customer journey</a> · '
        '<a href="/journeykanban">Journey kanban</a> · '
        '<a href="/playbookanalytics">Playbook analytics</a></p>'
        '<div class="analytics-grid">'
        f"{_stages(view)}{_drop_off(view)}{_conversion(view)}{_advance(view)}</div></main>"
    )


def _form(view: Dashboard) -> str:
    typed = view.typed
    chosen = typed.get("by") or view.conversion.by
    options = "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(label)}</option>'
        for v, label in view.by_options
    )
    target = typed.get("target_stage") or str(view.conversion.target_stage)
    stages = "".join(
        f'<option value="{s}"{" selected" if str(s) == target else ""}>'
        f"{s} · {escape(stage_name(s, view.names))}</option>"
        for s in range(2, 7)
    )
    days = typed.get("inactive_days") or str(view.drop_off.inactive_days)
    return (
        '<form class="filters" method="get" action="/analyticsdashboard">'
        f'<label>From<input type="date" name="from" value="{escape(typed.get("from", ""))}">'
        f'</label><label>To<input type="date" name="to" value="{escape(typed.get("to", ""))}">'
        f'</label><label>Conversion by<select name="by">{options}</select></label>'
        f'<label>Converted at stage<select name="target_stage">{stages}</select></label>'
        '<label>Inactive after (days)<input type="number" name="inactive_days" min="1" '
        f'max="3650" value="{escape(days)}"></label>'
        '<button type="submit">Apply</button><a href="/analyticsdashboard">Reset</a></form>'
    )


def _csv(view: Dashboard, kind: str, keys: Sequence[str]) -> str:
    query = urlencode({k: v for k, v in view.csv_query.items() if k in keys})
    href = escape(f"{PREFIX}/{kind}.csv?{query}")
    return f'<a class="csv" id="csv-{kind}" href="{href}" download>CSV</a>'


def _stage_label(stage: int, names: tuple[str, ...]) -> str:
    return f"{stage} · {stage_name(stage, names)}"


def _stages(view: Dashboard) -> str:
    r = view.stages
    bars = [
        Bar(
            _stage_label(s.stage, view.names),
            ((float(s.prospects), STAGE_COLOURS[s.stage - 1]),),
            f"{s.prospects} · {percent(s.share)}",
        )
        for s in r.stages
    ]
    rows = "".join(
        f'<tr data-stage="{s.stage}"><td>{escape(_stage_label(s.stage, view.names))}</td>'
        f'<td class="prospects">{s.prospects}</td><td class="share">{percent(s.share)}</td></tr>'
        for s in r.stages
    )
    return (
        '<section id="stages" aria-labelledby="stages-title">'
        f'<h2 id="stages-title">Stage distribution {_csv(view, "stages", ("from", "to"))}</h2>'
        f'<p class="note">{r.total} prospects by their current stage.</p>'
        f"{bar_chart('Prospects per stage', bars, chart_id='stages-chart')}"
        '<table class="figures"><thead><tr><th>Stage</th><th>Prospects</th><th>Share</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _conversion(view: Dashboard) -> str:
    r = view.conversion
    dimension = DIMENSION_LABELS[r.by]
    bars = [
        Bar(
            g.label or g.key or "(none)",
            ((100 * (g.rate or 0.0), "#48a999"), (100 * (1 - (g.rate or 0.0)), "#dfe5ec")),
            f"{percent(g.rate)} ({g.converted} of {g.prospects})",
        )
        for g in r.groups[:CHART_GROUPS]
    ]
    rows = "".join(
        f'<tr data-key="{escape(g.key or "")}"><td>{_group_name(g.key, g.label, r.by)}</td>'
        f'<td class="prospects">{g.prospects}</td><td class="converted">{g.converted}</td>'
        f'<td class="rate">{percent(g.rate)}</td></tr>'
        for g in r.groups
    )
    o = r.overall
    overall = (
        f'<tr class="overall"><td>All prospects</td><td class="prospects">{o.prospects}</td>'
        f'<td class="converted">{o.converted}</td><td class="rate">{percent(o.rate)}</td></tr>'
    )
    keys = ("from", "to", "by", "target_stage")
    return (
        '<section id="conversion" aria-labelledby="conversion-title">'
        f'<h2 id="conversion-title">Conversion by {escape(dimension)} '
        f"{_csv(view, 'conversion', keys)}</h2>"
        f'<p class="note">Converted: reached stage {r.target_stage} · '
        f"{escape(r.target_stage_name)} at some time. Largest groups first.</p>"
        f"{bar_chart(f'Conversion rate by {dimension}', bars, chart_id='conversion-chart')}"
        f'<table class="figures"><thead><tr><th>{escape(dimension)}</th><th>Prospects</th>'
        f"<th>Converted</th><th>Rate</th></tr></thead><tbody>{overall}{rows}</tbody></table>"
        "</section>"
    )


def _group_name(key: str | None, label: str | None, by: str) -> str:
    if key is None:
        return '<span class="none">(none captured)</span>'
    if by == "entry_point" and label and label != key:
        return f"{escape(label)} <small>({escape(key)})</small>"
    return escape(key)


def _advance(view: Dashboard) -> str:
    legend = (("median", "#5b9bd5"), ("up to p90", "#c5d9ee"), ("average", "#18263a"))
    bars = [
        Bar(
            _stage_label(s.stage, view.names),
            (
                (s.median_seconds or 0.0, "#5b9bd5"),
                (max(0.0, (s.p90_seconds or 0.0) - (s.median_seconds or 0.0)), "#c5d9ee"),
            ),
            f"median {duration(s.median_seconds)} · p90 {duration(s.p90_seconds)}"
            if s.advances
            else "no advances",
            s.average_seconds,
        )
        for s in view.advance.stages
    ]
    rows = "".join(
        f'<tr data-stage="{s.stage}"><td>{escape(_stage_label(s.stage, view.names))}</td>'
        f'<td class="advances">{s.advances}</td>'
        f'<td class="average">{duration(s.average_seconds)}</td>'
        f'<td class="median">{duration(s.median_seconds)}</td>'
        f'<td class="p90">{duration(s.p90_seconds)}</td></tr>'
        for s in view.advance.stages
    )
    chart = bar_chart("Time in stage before advancing", bars, legend, "advance-chart")
    return (
        '<section id="advance" aria-labelledby="advance-title">'
        f'<h2 id="advance-title">Time to advance {_csv(view, "time-to-advance", ("from", "to"))}'
        '</h2><p class="note">Time spent in a stage before moving to a higher one.</p>'
        f"{chart}"
        '<table class="figures"><thead><tr><th>From stage</th><th>Advances</th><th>Average</th>'
        f"<th>Median</th><th>p90</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _drop_off(view: Dashboard) -> str:
    r = view.drop_off
    legend = ((f"inactive {r.inactive_days}+ days", "#d9663a"), ("active", "#c9d3df"))
    bars = [
        Bar(
            _stage_label(s.stage, view.names),
            ((float(s.inactive), "#d9663a"), (float(s.prospects - s.inactive), "#c9d3df")),
            f"{s.inactive} of {s.prospects} · {percent(s.rate)}",
        )
        for s in r.stages
    ]
    rows = "".join(
        f'<tr data-stage="{s.stage}"><td>{escape(_stage_label(s.stage, view.names))}</td>'
        f'<td class="prospects">{s.prospects}</td><td class="inactive">{s.inactive}</td>'
        f'<td class="rate">{percent(s.rate)}</td></tr>'
        for s in r.stages
    )
    keys = ("from", "to", "inactive_days")
    return (
        '<section id="drop-off" aria-labelledby="drop-off-title">'
        f'<h2 id="drop-off-title">Drop-off {_csv(view, "drop-off", keys)}</h2>'
        f'<p class="note">No activity for {r.inactive_days} days or more, by current stage.</p>'
        f"{bar_chart('Inactive prospects per stage', bars, legend, 'drop-off-chart')}"
        '<table class="figures"><thead><tr><th>Stage</th><th>Prospects</th><th>Inactive</th>'
        f"<th>Rate</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )
