"""The /playbookanalytics page: the gated playbooks' figures (services/projections/web/playbooks.py)
as a table, sorted by query parameters (`sort`, `order`), so it needs no script of its own."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import page_session
from services.projections.pages.layout import Pages
from services.projections.pages.legacy import LOGOUT_SCRIPT, STYLE, document, page_headers, policy
from services.projections.pages.playbookanalytics_assets import PAGE_STYLE
from services.projections.web.playbooks import (
    API_PATH,
    Figures,
    PlaybookAnalytics,
    PlaybookFigures,
    playbook_report,
)

PATH = "/playbookanalytics"


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


def playbookanalytics_router(engine: AsyncEngine, pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse, tags=["pages"])
    async def playbook_analytics_page(
        request: Request, sort: str = "playbook", order: str = "asc"
    ) -> Response:
        """The figures as a table, sortable by its column headers."""
        who = page_session(request)
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        body = playbook_page(who.email, await playbook_report(engine, sort, order))
        return HTMLResponse(
            body,
            headers=page_headers(content_security_policy()),
        )

    return router


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
