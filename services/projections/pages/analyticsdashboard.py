"""The /analyticsdashboard page: funnel, stage distribution, drop-off, conversion by entry point
and time to advance, as server-drawn SVG bar charts with the exact figures in tables beside
them. Filters are GET parameters (a link to share); a bad one is reported on the page (422) and
left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.projections.models.analytics import DIMENSION_LABELS, DIMENSIONS, FIRST_DAY, LAST_DAY
from services.projections.pages.analyticsdashboard_charts import charts, group_of, percent
from services.projections.pages.layout import ConsultantPage, Pages
from services.projections.settings import ProjectionsSettings
from services.projections.web.analytics import PREFIX
from services.projections.web.reports import Days, Reports

PATH = "/analyticsdashboard"
FILTERS = ("from", "to", "by", "target_stage", "inactive_days")
# Which filters each CSV download takes.
CSV_FILTERS = {
    "funnel": ("from", "to"),
    "stages": ("from", "to"),
    "conversion": ("from", "to", "by", "target_stage"),
    "time-to-advance": ("from", "to"),
    "drop-off": ("from", "to", "inactive_days"),
}


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

    def query(self) -> dict[str, str]:
        """The understood filters as query parameters."""
        query = {"by": self.by, "target_stage": str(self.target)}
        query["inactive_days"] = str(self.inactive_days)
        if self.first:
            query["from"] = self.first.isoformat()
        if self.last:
            query["to"] = self.last.isoformat()
        return query


def parse_form(typed: dict[str, str], settings: ProjectionsSettings) -> Form:
    form = Form(typed, target=settings.conversion_stage, inactive_days=settings.inactive_days)
    for key, label in (("from", "From"), ("to", "To")):
        if text := typed.get(key, ""):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                form.errors.append(f"{label} must be a date (YYYY-MM-DD).")
                continue
            if not FIRST_DAY <= day <= LAST_DAY:
                form.errors.append(f"{label} must be a day from {FIRST_DAY} to {LAST_DAY}.")
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
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    async def analytics_dashboard(request: Request, who: ConsultantPage) -> Response:
        """Funnel, stage distribution, conversion, time to advance and drop-off, by date."""
        typed = {k: request.query_params.get(k, "").strip() for k in FILTERS}
        form = parse_form(typed, settings)
        days = Days(first=form.first, last=form.last)
        figures = await reports.dashboard(
            days, form.by, form.target, 50, form.inactive_days, datetime.now(UTC)
        )
        query = form.query()
        csv_links = {
            kind: f"{PREFIX}/{kind}.csv?{urlencode({k: query[k] for k in keys if k in query})}"
            for kind, keys in CSV_FILTERS.items()
        }
        groups = [group_of(g, form.by) for g in figures.conversion.groups]
        return pages.render(
            "analyticsdashboard.html",
            title="Analytics",
            here=PATH,
            styles=("analyticsdashboard.css",),
            status_code=422 if form.errors else 200,
            who=who.email,
            names=reports.names,
            typed=typed,
            chosen_by=typed["by"] or form.by,
            chosen_target=typed["target_stage"] or str(form.target),
            chosen_days=typed["inactive_days"] or str(form.inactive_days),
            by_options=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS],
            dimension=DIMENSION_LABELS[form.by],
            errors=form.errors,
            figures=figures,
            groups=groups,
            charts=charts(figures, groups, reports.names),
            csv_links=csv_links,
            percent=percent,
        )

    return router
