"""`GET /v1/analytics/{funnel,stages,conversion,time-to-advance,drop-off}` (JSON, and `.csv` of the
same figures), read from the active board version. `from`/`to` are whole UTC days, inclusive."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import AfterValidator

from services.common.auth import ConsultantSession
from services.common.openapi import csv_answer
from services.projections.models.analytics import (
    FIRST_DAY,
    LAST_DAY,
    AdvanceTimes,
    Conversion,
    Dimension,
    DropOff,
    StageCount,
    Window,
    advance_csv,
    conversion_csv,
    day_in_range,
    drop_off_csv,
    funnel_csv,
    stages_csv,
)
from services.projections.settings import ProjectionsSettings
from services.projections.web.reports import (
    AdvanceReport,
    ConversionReport,
    Days,
    DropOffReport,
    FunnelReport,
    Reports,
    StagesReport,
)

PREFIX = "/v1/analytics"
Day = Annotated[date, AfterValidator(day_in_range)]
From = Annotated[
    Day | None,
    Query(alias="from", description=f"first day (UTC), inclusive: {FIRST_DAY} to {LAST_DAY}"),
]
To = Annotated[
    Day | None, Query(description=f"last day (UTC), inclusive: {FIRST_DAY} to {LAST_DAY}")
]
Target = Annotated[
    int, Query(ge=2, le=6, description="converted = reached this stage at some time")
]
Inactive = Annotated[int, Query(ge=1, le=3650, description="days without activity")]
Limit = Annotated[int, Query(ge=1, le=500, description="largest groups shown")]


def window_of(first: date | None, last: date | None) -> Window:
    try:
        return Window.of_days(first, last)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "to"), "msg": "`to` is before `from`", "type": "value_error"}]
        ) from exc


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
        },
    )


def analytics_api_router(reports: Reports, settings: ProjectionsSettings) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["projections"])
    names = reports.names

    def days(first: date | None, last: date | None) -> Days:
        window_of(first, last)
        return Days(first=first, last=last)

    @api.get("/funnel", response_model=FunnelReport)
    async def funnel(_who: ConsultantSession, first: From = None, to: To = None) -> FunnelReport:
        """Of the prospects first seen in the window, per stage how many reached it or a higher
        one at some time, and the share of those that reached the stage before."""
        return await reports.funnel(days(first, to))

    @api.get("/funnel.csv", response_class=Response, responses=csv_answer())
    async def funnel_as_csv(_who: ConsultantSession, first: From = None, to: To = None) -> Response:
        return _csv(funnel_csv(await reports.funnel_steps(days(first, to)), names), "funnel")

    @api.get("/stages", response_model=StagesReport)
    async def stages(_who: ConsultantSession, first: From = None, to: To = None) -> StagesReport:
        """Prospects first seen in the window, by their current stage."""
        return await reports.stages(days(first, to))

    @api.get("/stages.csv", response_class=Response, responses=csv_answer())
    async def stages_as_csv(_who: ConsultantSession, first: From = None, to: To = None) -> Response:
        report = await reports.stages(days(first, to))
        counts = [StageCount(s.stage, s.prospects) for s in report.stages]
        return _csv(stages_csv(counts, names), "stages")

    @api.get("/conversion", response_model=ConversionReport)
    async def conversion(
        _who: ConsultantSession,
        by: Dimension = "entry_point",
        target_stage: Target = settings.conversion_stage,
        first: From = None,
        to: To = None,
        limit: Limit = 50,
    ) -> ConversionReport:
        """Share of the prospects first seen in the window that reached `target_stage`, by
        their entry point's first CTA or UTM source, medium or campaign."""
        return await reports.conversion(days(first, to), by, target_stage, limit)

    @api.get("/conversion.csv", response_class=Response, responses=csv_answer())
    async def conversion_as_csv(
        _who: ConsultantSession,
        by: Dimension = "entry_point",
        target_stage: Target = settings.conversion_stage,
        first: From = None,
        to: To = None,
        limit: Limit = 500,
    ) -> Response:
        r = await reports.conversion(days(first, to), by, target_stage, limit)
        rows = [Conversion(g.key, g.label, g.prospects, g.converted) for g in r.groups]
        return _csv(conversion_csv(by, target_stage, rows), f"conversion-by-{by}")

    @api.get("/time-to-advance", response_model=AdvanceReport)
    async def time_to_advance(
        _who: ConsultantSession, first: From = None, to: To = None
    ) -> AdvanceReport:
        """Average, median and p90 of the time spent in each stage before moving to a higher
        one, over the advances made in the window."""
        return await reports.time_to_advance(days(first, to))

    @api.get("/time-to-advance.csv", response_class=Response, responses=csv_answer())
    async def time_to_advance_as_csv(
        _who: ConsultantSession, first: From = None, to: To = None
    ) -> Response:
        r = await reports.time_to_advance(days(first, to))
        rows = [
            AdvanceTimes(s.stage, s.advances, s.average_seconds, s.median_seconds, s.p90_seconds)
            for s in r.stages
        ]
        return _csv(advance_csv(rows, names), "time-to-advance")

    @api.get("/drop-off", response_model=DropOffReport)
    async def drop_off(
        _who: ConsultantSession,
        inactive_days: Inactive = settings.inactive_days,
        first: From = None,
        to: To = None,
    ) -> DropOffReport:
        """Per current stage, the prospects first seen in the window with no activity for
        `inactive_days` or more (counted back from now)."""
        return await reports.drop_off(days(first, to), inactive_days, datetime.now(UTC))

    @api.get("/drop-off.csv", response_class=Response, responses=csv_answer())
    async def drop_off_as_csv(
        _who: ConsultantSession,
        inactive_days: Inactive = settings.inactive_days,
        first: From = None,
        to: To = None,
    ) -> Response:
        r = await reports.drop_off(days(first, to), inactive_days, datetime.now(UTC))
        rows = [DropOff(s.stage, s.prospects, s.inactive) for s in r.stages]
        return _csv(drop_off_csv(rows, names), "drop-off")

    return api
