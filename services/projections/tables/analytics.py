"""The analytics queries, aggregated in the database over one board version's tables. Stage
counts, conversion and drop-off take the prospects first seen in the window (`created_at`);
time-to-advance takes the advances made in it (`moved_at`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.stages import STAGES
from services.projections.models.analytics import (
    ADVANCING_STAGES,
    AdvanceTimes,
    CohortStage,
    Conversion,
    Window,
    interpolate,
    percentile_rank,
)
from services.projections.tables.board import BoardTables

MEDIAN, P90 = 0.5, 0.9


def _within(column: Any, window: Window) -> ColumnElement[bool]:
    # SQLite keeps datetimes as text without an offset: bounds in UTC compare right.
    bounds = []
    if window.start is not None:
        bounds.append(column >= window.start.astimezone(UTC))
    if window.end is not None:
        bounds.append(column < window.end.astimezone(UTC))
    return and_(true(), *bounds)


async def cohort(
    conn: AsyncConnection, tables: BoardTables, window: Window, *, target: int, cutoff: datetime
) -> list[CohortStage]:
    """Per current stage, the prospects first seen in the window: all, those whose last
    activity is before `cutoff`, and those whose peak stage reached `target`."""
    t = tables.rows
    inactive = func.sum(case((t.c.last_activity_at < cutoff.astimezone(UTC), 1), else_=0))
    converted = func.sum(case((t.c.peak_stage >= target, 1), else_=0))
    query = (
        select(t.c.stage, func.count(), inactive, converted)
        .where(_within(t.c.created_at, window))
        .group_by(t.c.stage)
    )
    found = {
        int(s): CohortStage(int(s), int(n), int(i or 0), int(c or 0))
        for s, n, i, c in await conn.execute(query)
    }
    return [found.get(s, CohortStage(s, 0)) for s in STAGES]


def _dimension(t: Table, by: str) -> Any:
    return t.c.entry_cta_id if by == "entry_point" else t.c[by]


async def conversion(
    conn: AsyncConnection,
    tables: BoardTables,
    window: Window,
    by: str,
    target: int,
    limit: int = 50,
) -> list[Conversion]:
    """The `limit` largest groups of the prospects first seen in the window (most first)."""
    t = tables.rows
    key = _dimension(t, by)
    reached = func.sum(case((t.c.peak_stage >= target, 1), else_=0))
    label = func.max(t.c.entry_cta_label) if by == "entry_point" else func.max(key)
    query = (
        select(key, label, func.count(), reached)
        .where(_within(t.c.created_at, window))
        .group_by(key)
        .order_by(func.count().desc(), key.is_(None), key)
        .limit(limit)
    )
    return [Conversion(k, lbl, int(n), int(r or 0)) for k, lbl, n, r in await conn.execute(query)]


async def time_to_advance(
    conn: AsyncConnection, tables: BoardTables, window: Window
) -> list[AdvanceTimes]:
    t = tables.transitions
    where = and_(t.c.to_stage > t.c.from_stage, _within(t.c.moved_at, window))
    if conn.dialect.name == "postgresql":
        query = (
            select(
                t.c.from_stage,
                func.count(),
                func.avg(t.c.seconds),
                func.percentile_cont(MEDIAN).within_group(t.c.seconds),
                func.percentile_cont(P90).within_group(t.c.seconds),
            )
            .where(where)
            .group_by(t.c.from_stage)
        )
        found = {
            int(s): AdvanceTimes(int(s), int(n), float(avg), float(med), float(p90))
            for s, n, avg, med, p90 in await conn.execute(query)
        }
    else:
        found = await _ordered_percentiles(conn, t, where)
    return [found.get(s, AdvanceTimes(s, 0)) for s in ADVANCING_STAGES]


async def _ordered_percentiles(
    conn: AsyncConnection, t: Table, where: ColumnElement[bool]
) -> dict[int, AdvanceTimes]:
    """Without `percentile_cont` (SQLite): per stage, the one or two values around each
    percentile, read by an ordered OFFSET query on the (stage, seconds) index."""
    query = (
        select(t.c.from_stage, func.count(), func.avg(t.c.seconds))
        .where(where)
        .group_by(t.c.from_stage)
    )
    found = {}
    for s, n, avg in (await conn.execute(query)).all():
        stage, count = int(s), int(n)
        at = []
        for fraction in (MEDIAN, P90):
            below, weight = percentile_rank(count, fraction)
            around = (
                select(t.c.seconds)
                .where(where, t.c.from_stage == stage)
                .order_by(t.c.seconds)
                .offset(below)
                .limit(2)
            )
            values = [float(v) for (v,) in await conn.execute(around)]
            at.append(interpolate(values, weight))
        found[stage] = AdvanceTimes(stage, count, float(avg), at[0], at[1])
    return found
