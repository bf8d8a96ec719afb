"""`GET /v1/analytics/playbooks` (JSON) and `GET /v1/analytics/playbooks.csv` (the same
figures, one `total` row per playbook followed by its `variation` rows): per gated playbook and
per generated variation, the views, submissions, conversion rate (submissions / views) and
average time to submit, from the content events."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Annotated, Literal, TypeVar, get_args

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import ConsultantSession
from services.common.openapi import csv_answer
from services.projections.models.playbooks import PlaybookCounts, PlaybookKey
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import versions

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


async def playbook_report(engine: AsyncEngine, sort: str, order: str) -> PlaybookAnalytics:
    async with engine.connect() as conn:
        table = (await versions.active_models(conn)).playbooks
        counts = await playbook_store.all_counts(conn, table)
    return analytics(counts, sort, order)


def playbooks_api_router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(tags=["projections"])

    @api.get(API_PATH, response_model=PlaybookAnalytics)
    async def playbook_analytics(
        _who: ConsultantSession,
        sort: Annotated[SortKey, Query()] = "playbook",
        order: Annotated[Order, Query()] = "asc",
    ) -> PlaybookAnalytics:
        """Per gated playbook and per variation: views, submissions, conversion rate and
        average time to submit."""
        return await playbook_report(engine, sort, order)

    @api.get(f"{API_PATH}.csv", response_class=Response, responses=csv_answer())
    async def playbook_analytics_csv(
        _who: ConsultantSession,
        sort: Annotated[SortKey, Query()] = "playbook",
        order: Annotated[Order, Query()] = "asc",
    ) -> Response:
        """The same figures as CSV: a `total` row per playbook, then its `variation` rows."""
        return Response(
            as_csv(await playbook_report(engine, sort, order)),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="playbook-analytics.csv"',
                "Cache-Control": "no-store",
            },
        )

    return api
