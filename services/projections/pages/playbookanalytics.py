"""The /playbookanalytics page: the gated playbooks' figures (services/projections/web/playbooks.py)
as a table, sorted by query parameters (`sort`, `order`), so it needs no script of its own."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.projections.pages.layout import ConsultantPage, Pages
from services.projections.web.playbooks import API_PATH, PlaybookAnalytics, playbook_report

PATH = "/playbookanalytics"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("playbook", "Playbook / variation"),
    ("views", "Views"),
    ("submissions", "Submissions"),
    ("conversion_rate", "Conversion rate"),
    ("average_seconds_to_submit", "Avg. time to submit"),
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    link: str
    sorted: str | None

    @property
    def arrow(self) -> str:
        return {"ascending": " ▲", "descending": " ▼"}.get(self.sorted or "", "")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def columns(report: PlaybookAnalytics) -> list[Column]:
    """Each header links to the table sorted by it: the other way round when it is the current
    sort, otherwise names A to Z and figures highest first."""
    found = []
    for key, label in COLUMNS:
        current = report.sort == key
        if current:
            order = "asc" if report.order == "desc" else "desc"
        else:
            order = "asc" if key == "playbook" else "desc"
        shown = ("ascending" if report.order == "asc" else "descending") if current else None
        link = f"{PATH}?{urlencode({'sort': key, 'order': order})}"
        found.append(Column(key, label, link, shown))
    return found


def playbookanalytics_router(engine: AsyncEngine, pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse, tags=["pages"])
    async def playbook_analytics_page(
        who: ConsultantPage, sort: str = "playbook", order: str = "asc"
    ) -> Response:
        """The figures as a table, sortable by its column headers."""
        report = await playbook_report(engine, sort, order)
        query = urlencode({"sort": report.sort, "order": report.order})
        return pages.render(
            "playbookanalytics.html",
            title="Playbook analytics",
            here=PATH,
            styles=("playbookanalytics.css",),
            who=who.email,
            report=report,
            columns=columns(report),
            csv_link=f"{API_PATH}.csv?{query}",
            percent=percent,
            seconds=seconds,
        )

    return router
