"""Gated playbook analytics: per playbook and per generated variation, the views, submissions,
conversion rate (submissions / views) and average time to submit, from the content events.

`GET /v1/analytics/playbooks` (JSON), `GET /v1/analytics/playbooks.csv` (the same figures, one
`total` row per playbook followed by its `variation` rows) and the `/playbookanalytics` page,
rendered on the server and sorted by query parameters (`sort`, `order`), so it needs no script
of its own. Every value reaches the page through `html.escape`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from html import escape
from typing import Annotated, Literal, TypeVar, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import ConsultantSession, page_session
from services.projections.models.playbooks import PlaybookCounts, PlaybookKey
from services.projections.pages.layout import LOGOUT_SCRIPT, STYLE, document, page_headers, policy
from services.projections.pages.playbookanalytics_assets import PAGE_STYLE
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import versions

PATH = "/playbookanalytics"
API_PATH = "/v1/analytics/playbooks"
SortKey = Literal[
    "playbook", "views", "submissions", "conversion_rate", "average_seconds_to_submit"
]
Order = Literal["asc", "desc"]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
CSV_HEADER = (
    "playbook_id",
    "variation_id",
    "row",
    "views",
    "submissions",
    "conversion_rate",
    "average_seconds_to_submit",
)


class Figures(BaseModel):
    views: int
    submissions: int
    conversion_rate: float | None = Field(description="submissions / views; null with no views")
    average_seconds_to_submit: float | None = Field(
        description="mean of the submissions' seconds_to_submit; null when none carried one"
    )


class VariationFigures(Figures):
    variation_id: str


class PlaybookFigures(BaseModel):
    playbook_id: str
    totals: Figures
    variations: list[VariationFigures] = Field(description="in the requested order")


class PlaybookAnalytics(BaseModel):
    sort: str
    order: str
    playbooks: list[PlaybookFigures] = Field(description="in the requested order; nulls last")


def _figures(c: PlaybookCounts) -> dict[str, float | int | None]:
    return {
        "views": c.views,
        "submissions": c.submissions,
        "conversion_rate": c.conversion_rate,
        "average_seconds_to_submit": c.average_seconds_to_submit,
    }


T = TypeVar("T")


def _ordered(items: list[T], value: Callable[[T], object], desc: bool) -> list[T]:
    """Sorted by `value`, the missing (None) ones last whatever the order; ties keep the
    order they came in (by id)."""
    present = [i for i in items if value(i) is not None]
    missing = [i for i in items if value(i) is None]
    present.sort(key=value, reverse=desc)  # type: ignore[arg-type]
    return present + missing


def analytics(
    counts: Mapping[PlaybookKey, PlaybookCounts], sort: str = "playbook", order: str = "asc"
) -> PlaybookAnalytics:
    """Per playbook totals and per variation figures, sorted by `sort` (playbooks by their
    totals, variations within each playbook by theirs)."""
    sort = sort if sort in SORT_KEYS else "playbook"
    order = order if order in ("asc", "desc") else "asc"
    desc = order == "desc"
    grouped: dict[str, list[tuple[str, PlaybookCounts]]] = {}
    for (playbook, variation), c in sorted(counts.items()):
        grouped.setdefault(playbook, []).append((variation, c))
    playbooks = []
    for playbook, variations in grouped.items():
        total = sum((c for _, c in variations), PlaybookCounts())
        rows = [VariationFigures(variation_id=v, **_figures(c)) for v, c in variations]
        if sort == "playbook":
            rows = _ordered(rows, lambda r: r.variation_id, desc)
        else:
            rows = _ordered(rows, lambda r: getattr(r, sort), desc)
        totals = Figures(**_figures(total))
        playbooks.append(PlaybookFigures(playbook_id=playbook, totals=totals, variations=rows))
    if sort == "playbook":
        playbooks = _ordered(playbooks, lambda p: p.playbook_id, desc)
    else:
        playbooks = _ordered(playbooks, lambda p: getattr(p.totals, sort), desc)
    return PlaybookAnalytics(sort=sort, order=order, playbooks=playbooks)


def as_csv(report: PlaybookAnalytics) -> str:
    """One `total` row per playbook (empty variation_id) followed by its `variation` rows; the
    rate as a fraction, the time in seconds, empty when null. A cell a spreadsheet would read
    as a formula is prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for p in report.playbooks:
        writer.writerow(_csv_row(p.playbook_id, "", "total", p.totals))
        for v in p.variations:
            writer.writerow(_csv_row(p.playbook_id, v.variation_id, "variation", v))
    return out.getvalue()


def _csv_row(playbook: str, variation: str, kind: str, f: Figures) -> list[str]:
    return [
        _cell(playbook),
        _cell(variation),
        kind,
        str(f.views),
        str(f.submissions),
        "" if f.conversion_rate is None else f"{f.conversion_rate:.6f}",
        "" if f.average_seconds_to_submit is None else f"{f.average_seconds_to_submit:.3f}",
    ]


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


COLUMNS: tuple[tuple[str, str], ...] = (
    ("playbook", "Playbook / variation"),
    ("views", "Views"),
    ("submissions", "Submissions"),
    ("conversion_rate", "Conversion rate"),
    ("average_seconds_to_submit", "Avg. time to submit"),
)


def content_security_policy() -> str:
    return policy((LOGOUT_SCRIPT,), (STYLE, PAGE_STYLE))


def playbook_router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(tags=["projections"])

    async def report(sort: str, order: str) -> PlaybookAnalytics:
        async with engine.connect() as conn:
            table = (await versions.active_models(conn)).playbooks
            counts = await playbook_store.all_counts(conn, table)
        return analytics(counts, sort, order)

    @api.get(API_PATH, response_model=PlaybookAnalytics)
    async def playbook_analytics(
        _who: ConsultantSession,
        sort: Annotated[SortKey, Query()] = "playbook",
        order: Annotated[Order, Query()] = "asc",
    ) -> PlaybookAnalytics:
        """Per gated playbook and per variation: views, submissions, conversion rate and
        average time to submit."""
        return await report(sort, order)

    @api.get(f"{API_PATH}.csv", response_class=Response)
    async def playbook_analytics_csv(
        _who: ConsultantSession,
        sort: Annotated[SortKey, Query()] = "playbook",
        order: Annotated[Order, Query()] = "asc",
    ) -> Response:
        """The same figures as CSV: a `total` row per playbook, then its `variation` rows."""
        return Response(
            as_csv(await report(sort, order)),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="playbook-analytics.csv"',
                "Cache-Control": "no-store",
            },
        )

    @api.get(PATH, response_class=HTMLResponse, tags=["pages"])
    async def playbook_analytics_page(
        request: Request, sort: str = "playbook", order: str = "asc"
    ) -> Response:
        """The figures as a table, sortable by its column headers."""
        who = page_session(request)
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        body = playbook_page(who.email, await report(sort, order))
        return HTMLResponse(
            body,
            headers=page_headers(content_security_policy()),
        )

    return api


def playbook_page(who: str, report: PlaybookAnalytics) -> str:
    query = urlencode({"sort": report.sort, "order": report.order})
    head = "".join(_header(key, label, report) for key, label in COLUMNS)
    groups = "".join(_playbook(p) for p in report.playbooks)
    table = (
        f'<table class="playbooks"><thead><tr>{head}</tr></thead>{groups}</table>'
        if report.playbooks
        else '<p class="empty">No gated playbook has been generated or shown yet.</p>'
    )
    n = len(report.playbooks)
    body = (
        f"<style>{PAGE_STYLE}</style>"
        '<header class="top"><h1>Playbook analytics</h1>'
        f'<span class="who">{escape(who)}<button id="logout" type="button">Log out</button>'
        "</span></header>"
        '<main class="analytics-main">'
        f'<p class="summary">{n} gated playbook{"" if n == 1 else "s"} · conversion rate = '
        "submissions / views · "
        '<a href="/customerjourney">Customer journey</a></p>'
        f'<p class="actions"><a id="download-csv" href="{escape(API_PATH)}.csv?{escape(query)}" '
        "download>Download CSV</a></p>"
        f"{table}</main>"
    )
    return document("Playbook analytics", body, LOGOUT_SCRIPT)


def _header(key: str, label: str, report: PlaybookAnalytics) -> str:
    current = report.sort == key
    if current:
        order = "asc" if report.order == "desc" else "desc"
    else:
        order = "asc" if key == "playbook" else "desc"
    link = f"{PATH}?{urlencode({'sort': key, 'order': order})}"
    aria = (
        f' aria-sort="{"ascending" if report.order == "asc" else "descending"}"' if current else ""
    )
    arrow = (" ▲" if report.order == "asc" else " ▼") if current else ""
    return (
        f'<th scope="col" data-sort="{key}"{aria}>'
        f'<a href="{escape(link)}">{escape(label)}{arrow}</a></th>'
    )


def _cells(f: Figures) -> str:
    return (
        f'<td class="views">{f.views}</td><td class="submissions">{f.submissions}</td>'
        f'<td class="rate">{percent(f.conversion_rate)}</td>'
        f'<td class="time">{seconds(f.average_seconds_to_submit)}</td>'
    )


def _playbook(p: PlaybookFigures) -> str:
    pid = escape(p.playbook_id)
    rows = "".join(
        f'<tr class="variation" data-variation-id="{escape(v.variation_id)}">'
        f'<td class="name">{escape(v.variation_id)}</td>{_cells(v)}</tr>'
        for v in p.variations
    )
    return (
        f'<tbody class="playbook" data-playbook-id="{pid}">'
        f'<tr class="total"><th scope="rowgroup" class="name">{pid}</th>{_cells(p.totals)}</tr>'
        f"{rows}</tbody>"
    )
