"""The /analyticsdashboard page: stage distribution, conversion by entry point, time to advance
and drop-off, as server-drawn SVG bar charts with the exact figures in tables beneath. Filters
are GET parameters (a link to share); a bad one is reported on the page (422) and left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.common.auth import page_session
from services.projections.models.analytics import DIMENSION_LABELS, DIMENSIONS
from services.projections.pages.analyticsdashboard_assets import PAGE_STYLE
from services.projections.pages.analyticsdashboard_html import Dashboard, dashboard_body
from services.projections.pages.layout import Pages
from services.projections.pages.legacy import LOGOUT_SCRIPT, STYLE, document, page_headers, policy
from services.projections.settings import ProjectionsSettings
from services.projections.web.reports import Days, Reports

PATH = "/analyticsdashboard"


def content_security_policy() -> str:
    return policy((LOGOUT_SCRIPT,), (STYLE, PAGE_STYLE))


@dataclass
class Form:
    """What the consultant asked for, as typed, and what of it was understood."""

    typed: dict[str, str]
    first: date | None = None
    last: date | None = None
    by: str = "entry_point"
    target: int = 4
    inactive_days: int = 14
    errors: list[str] = field(default_factory=list)


def parse_form(typed: dict[str, str], settings: ProjectionsSettings) -> Form:
    form = Form(typed, target=settings.conversion_stage, inactive_days=settings.inactive_days)
    for key, label in (("from", "From"), ("to", "To")):
        if text := typed.get(key, ""):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                form.errors.append(f"{label} must be a date (YYYY-MM-DD).")
                continue
            if key == "from":
                form.first = day
            else:
                form.last = day
    if form.first and form.last and form.last < form.first:
        form.errors.append("To is before From; showing every day up to now.")
        form.first = form.last = None
    if by := typed.get("by", ""):
        if by in DIMENSIONS:
            form.by = by
        else:
            form.errors.append("Conversion by must be the first CTA or a UTM field.")
    if target := typed.get("target_stage", ""):
        if target in {str(s) for s in range(2, 7)}:
            form.target = int(target)
        else:
            form.errors.append("Target stage must be a number from 2 to 6.")
    if days := typed.get("inactive_days", ""):
        if days.isdigit() and 1 <= int(days) <= 3650:
            form.inactive_days = int(days)
        else:
            form.errors.append("Inactive days must be a whole number from 1 to 3650.")
    return form


def analyticsdashboard_router(
    reports: Reports, pages: Pages, settings: ProjectionsSettings
) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse)
    async def analytics_dashboard(request: Request) -> Response:
        """Stage distribution, conversion, time to advance and drop-off, filtered by date."""
        who = page_session(request)
        if who is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
        names = ("from", "to", "by", "target_stage", "inactive_days")
        form = parse_form({k: request.query_params.get(k, "").strip() for k in names}, settings)
        days = Days(first=form.first, last=form.last)
        stages, conversion, advance, drop_off = await reports.dashboard(
            days, form.by, form.target, 50, form.inactive_days, datetime.now(UTC)
        )
        view = Dashboard(
            who=who.email,
            names=reports.names,
            typed=form.typed,
            errors=form.errors,
            csv_query=_csv_query(form),
            stages=stages,
            conversion=conversion,
            advance=advance,
            drop_off=drop_off,
            by_options=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
        )
        return HTMLResponse(
            document(
                "Analytics", f"<style>{PAGE_STYLE}</style>{dashboard_body(view)}", LOGOUT_SCRIPT
            ),
            status_code=422 if form.errors else 200,
            headers=page_headers(content_security_policy()),
        )

    return router


def _csv_query(form: Form) -> dict[str, str]:
    """The understood filters as query parameters, for each figure's CSV link."""
    query = {"by": form.by, "target_stage": str(form.target)}
    query["inactive_days"] = str(form.inactive_days)
    if form.first:
        query["from"] = form.first.isoformat()
    if form.last:
        query["to"] = form.last.isoformat()
    return query
