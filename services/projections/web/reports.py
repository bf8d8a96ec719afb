"""The dashboard's figures as the API returns them, read from the active board version."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.projections.models.analytics import (
    AdvanceTimes,
    CohortStage,
    Conversion,
    FunnelStep,
    Window,
    funnel,
    share,
)
from services.projections.models.board import stage_name
from services.projections.tables import analytics as analytics_store
from services.projections.tables import versions

# A cutoff nothing is before: for the figures that do not count inactivity.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Days(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first: date | None = Field(alias="from")
    last: date | None = Field(alias="to")


class StageFigure(BaseModel):
    stage: int
    name: str
    prospects: int
    share: float | None = Field(description="of all prospects in the window")


class StagesReport(BaseModel):
    window: Days = Field(description="prospects first seen in these days")
    total: int
    stages: list[StageFigure]


class ConversionFigure(BaseModel):
    key: str | None = Field(description="the CTA id or UTM value; null where none was captured")
    label: str | None
    prospects: int
    converted: int = Field(description="prospects that reached the target stage")
    rate: float | None


class ConversionReport(BaseModel):
    window: Days = Field(description="prospects first seen in these days")
    by: str
    target_stage: int
    target_stage_name: str
    overall: ConversionFigure
    groups: list[ConversionFigure] = Field(description="most prospects first")


class AdvanceFigure(BaseModel):
    stage: int
    name: str
    advances: int = Field(description="moves from this stage to a higher one")
    average_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


class AdvanceReport(BaseModel):
    window: Days = Field(description="advances made in these days")
    stages: list[AdvanceFigure]


class DropOffFigure(BaseModel):
    stage: int
    name: str
    prospects: int
    inactive: int = Field(description="no activity for `inactive_days` or more")
    rate: float | None


class DropOffReport(BaseModel):
    window: Days = Field(description="prospects first seen in these days")
    inactive_days: int
    cutoff: datetime = Field(description="last activity before this counts as dropped off")
    stages: list[DropOffFigure]


class FunnelFigure(BaseModel):
    stage: int
    name: str
    reached: int = Field(description="prospects whose peak stage is this one or higher")
    step_rate: float | None = Field(
        description="reached / reached the stage before; null for stage 1 or none before"
    )
    overall_rate: float | None = Field(description="reached / all prospects in the window")


class FunnelReport(BaseModel):
    window: Days = Field(description="prospects first seen in these days")
    total: int
    stages: list[FunnelFigure]


@dataclass(frozen=True)
class Dashboard:
    funnel: FunnelReport
    stages: StagesReport
    conversion: ConversionReport
    advance: AdvanceReport
    drop_off: DropOffReport


@dataclass(frozen=True)
class Reports:
    """The figures of the dashboard, read from one board version."""

    engine: AsyncEngine
    names: tuple[str, ...]

    async def _read(self, query: Callable[..., Awaitable[Any]], *args: Any, **kw: Any) -> Any:
        async with self.engine.connect() as conn:
            tables = await versions.active_board(conn)
            return await query(conn, tables, *args, **kw)

    async def _cohort(
        self, days: Days, target: int = 6, cutoff: datetime = EPOCH
    ) -> list[CohortStage]:
        window = Window.of_days(days.first, days.last)
        found: list[CohortStage] = await self._read(
            analytics_store.cohort, window, target=target, cutoff=cutoff
        )
        return found

    async def _groups(self, days: Days, by: str, target: int, limit: int) -> list[Conversion]:
        window = Window.of_days(days.first, days.last)
        found: list[Conversion] = await self._read(
            analytics_store.conversion, window, by, target, limit
        )
        return found

    async def _peaks(self, days: Days) -> dict[int, int]:
        window = Window.of_days(days.first, days.last)
        found: dict[int, int] = await self._read(analytics_store.peaks, window)
        return found

    async def _advances(self, days: Days) -> list[AdvanceTimes]:
        window = Window.of_days(days.first, days.last)
        found: list[AdvanceTimes] = await self._read(analytics_store.time_to_advance, window)
        return found

    async def funnel_steps(self, days: Days) -> list[FunnelStep]:
        return funnel(await self._peaks(days))

    async def funnel(self, days: Days) -> FunnelReport:
        return self._funnel(days, await self.funnel_steps(days))

    async def stages(self, days: Days) -> StagesReport:
        return self._stages(days, await self._cohort(days))

    async def conversion(self, days: Days, by: str, target: int, limit: int) -> ConversionReport:
        cohort, groups = await asyncio.gather(
            self._cohort(days, target), self._groups(days, by, target, limit)
        )
        return self._conversion(days, by, target, cohort, groups)

    async def time_to_advance(self, days: Days) -> AdvanceReport:
        return self._advance(days, await self._advances(days))

    async def drop_off(self, days: Days, inactive_days: int, now: datetime) -> DropOffReport:
        cutoff = now - timedelta(days=inactive_days)
        return self._drop_off(days, inactive_days, cutoff, await self._cohort(days, 6, cutoff))

    async def dashboard(
        self, days: Days, by: str, target: int, limit: int, inactive_days: int, now: datetime
    ) -> Dashboard:
        """All five at once: four queries, each on a connection of its own, side by side."""
        cutoff = now - timedelta(days=inactive_days)
        peaks, cohort, groups, advances = await asyncio.gather(
            self._peaks(days),
            self._cohort(days, target, cutoff),
            self._groups(days, by, target, limit),
            self._advances(days),
        )
        return Dashboard(
            funnel=self._funnel(days, funnel(peaks)),
            stages=self._stages(days, cohort),
            conversion=self._conversion(days, by, target, cohort, groups),
            advance=self._advance(days, advances),
            drop_off=self._drop_off(days, inactive_days, cutoff, cohort),
        )

    def _funnel(self, days: Days, steps: list[FunnelStep]) -> FunnelReport:
        total = steps[0].reached
        figures = [
            FunnelFigure(
                stage=f.stage,
                name=stage_name(f.stage, self.names),
                reached=f.reached,
                step_rate=f.step_rate,
                overall_rate=share(f.reached, total),
            )
            for f in steps
        ]
        return FunnelReport(window=days, total=total, stages=figures)

    def _stages(self, days: Days, cohort: list[CohortStage]) -> StagesReport:
        total = sum(c.prospects for c in cohort)
        figures = [
            StageFigure(
                stage=c.stage,
                name=stage_name(c.stage, self.names),
                prospects=c.prospects,
                share=share(c.prospects, total),
            )
            for c in cohort
        ]
        return StagesReport(window=days, total=total, stages=figures)

    def _conversion(
        self,
        days: Days,
        by: str,
        target: int,
        cohort: list[CohortStage],
        groups: list[Conversion],
    ) -> ConversionReport:
        everyone = Conversion(
            None,
            "All prospects",
            sum(c.prospects for c in cohort),
            sum(c.converted for c in cohort),
        )
        return ConversionReport(
            window=days,
            by=by,
            target_stage=target,
            target_stage_name=stage_name(target, self.names),
            overall=_figure(everyone),
            groups=[_figure(g) for g in groups],
        )

    def _advance(self, days: Days, rows: list[AdvanceTimes]) -> AdvanceReport:
        figures = [
            AdvanceFigure(
                stage=r.stage,
                name=stage_name(r.stage, self.names),
                advances=r.advances,
                average_seconds=r.average,
                median_seconds=r.median,
                p90_seconds=r.p90,
            )
            for r in rows
        ]
        return AdvanceReport(window=days, stages=figures)

    def _drop_off(
        self, days: Days, inactive_days: int, cutoff: datetime, cohort: list[CohortStage]
    ) -> DropOffReport:
        figures = [
            DropOffFigure(
                stage=c.stage,
                name=stage_name(c.stage, self.names),
                prospects=c.prospects,
                inactive=c.inactive,
                rate=share(c.inactive, c.prospects),
            )
            for c in cohort
        ]
        return DropOffReport(
            window=days, inactive_days=inactive_days, cutoff=cutoff, stages=figures
        )


def _figure(c: Conversion) -> ConversionFigure:
    return ConversionFigure(
        key=c.key, label=c.label, prospects=c.prospects, converted=c.converted, rate=c.rate
    )
