"""The /humansherpadashboard page: the consultants' skip alerts, live.

The server renders the filters behind the consultant login; the page's scripts load alerts from
`GET /v1/alerts`, act on them through `POST /v1/alerts/{id}/acknowledge|action`, and follow
`GET /v1/alerts/stream` (SSE) so new and changed alerts appear, in order, without a reload."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from services.projections.pages.layout import ConsultantPage, Pages

PATH = "/humansherpadashboard"
STATUSES = ("pending", "acknowledged", "actioned", "resolved", "expired")
PRIORITIES = ("URGENT", "HIGH")


def humansherpadashboard_router(pages: Pages) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    async def alert_dashboard(
        who: ConsultantPage, status: str = "pending", priority: str = ""
    ) -> Response:
        """Skip alerts for consultants, URGENT then newest first, pending ones by default,
        updated live."""
        return pages.render(
            "humansherpadashboard.html",
            title="Consultant alerts",
            here=PATH,
            scripts=("alertcards.js", "alertcard.js", "humansherpadashboard.js"),
            styles=("humansherpadashboard.css",),
            who=who.email,
            statuses=STATUSES,
            priorities=PRIORITIES,
            status=status if status in STATUSES else "",
            priority=priority if priority in PRIORITIES else "",
        )

    return router
