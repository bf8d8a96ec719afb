"""The /humansherpadashboard page: the consultants' skip alerts, live.

The server renders a shell behind the consultant login; one constant script (allowed by its hash
in this page's Content-Security-Policy) loads alerts from `GET /v1/alerts`, acts on them through
`POST /v1/alerts/{id}/acknowledge|action`, and follows `GET /v1/alerts/stream` (SSE) so new and
changed alerts appear without a reload. Every value reaches the DOM through `textContent`."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.common.auth import page_session
from services.projections.pages.humansherpadashboard_assets import ALERTS_SCRIPT
from services.projections.pages.humansherpadashboard_style import ALERTS_STYLE
from services.projections.pages.layout import Pages
from services.projections.pages.legacy import LOGOUT_SCRIPT, STYLE, page_headers, policy

PATH = "/humansherpadashboard"
STATUSES = ("pending", "acknowledged", "actioned", "expired")
PRIORITIES = ("URGENT", "HIGH")


def content_security_policy() -> str:
    return policy((ALERTS_SCRIPT, LOGOUT_SCRIPT), (STYLE, ALERTS_STYLE))


def alerts_page(who: str, status: str, priority: str) -> str:
    status_options = "".join(
        f'<option value="{s}"{" selected" if s == status else ""}>{s.capitalize()}</option>'
        for s in STATUSES
    )
    all_statuses = f'<option value=""{" selected" if not status else ""}>All statuses</option>'
    priority_options = "".join(
        f'<option value="{p}"{" selected" if p == priority else ""}>{p}</option>'
        for p in PRIORITIES
    )
    body = f"""<header class="top"><h1>Consultant alerts</h1>
<span id="live" class="live" data-state="connecting" role="status">Connecting\u2026</span>
<span class="who">{escape(who)}<button id="logout" type="button">Log out</button></span></header>
<form id="filters" class="filters" method="get" action="{PATH}" role="search">
<label>Status<select name="status">{status_options}{all_statuses}</select></label>
<label>Priority<select name="priority"><option value="">All priorities</option>
{priority_options}</select></label>
<a href="/customerjourney">Customer journey</a>
</form>
<p id="message" class="errors" role="alert"></p>
<main><p id="summary" class="summary">Loading alerts\u2026</p>
<ul id="alerts" class="alert-list" aria-live="polite"></ul>
<noscript><p class="errors">The alert dashboard needs JavaScript.</p></noscript></main>"""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Consultant alerts · Hero Journey CRM</title><link rel="icon" href="data:,">'
        f"<style>{STYLE}</style><style>{ALERTS_STYLE}</style></head><body>{body}"
        f"<script>{ALERTS_SCRIPT}</script><script>{LOGOUT_SCRIPT}</script></body></html>"
    )


def humansherpadashboard_router(pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse)
    async def alert_dashboard(
        request: Request, status: str = "pending", priority: str = ""
    ) -> Response:
        """Skip alerts for consultants, pending ones first by default, updated live."""
        who = page_session(request)
        if who is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        status = status if status in STATUSES else ""
        priority = priority if priority in PRIORITIES else ""
        return HTMLResponse(
            alerts_page(who.email, status, priority),
            headers=page_headers(content_security_policy()),
        )

    return router
