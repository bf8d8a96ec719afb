"""The analytics queries, aggregated in the database over one board version's tables. Stage
counts, conversion and drop-off take the prospects first seen in the window (`created_at`);
time-to-advance takes the advances made in it (`moved_at`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.stages import STAGES
from services.projections.models.analytics import (
    ADVANCING_STAGES,
    FORM_KEY,
    FORM_LABEL,
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


async def peaks(conn: AsyncConnection, tables: BoardTables, window: Window) -> dict[int, int]:
    """The prospects first seen in the window, counted by the highest stage they ever reached."""
    t = tables.rows
    peak = func.coalesce(t.c.peak_stage, t.c.stage)
    query = select(peak, func.count()).where(_within(t.c.created_at, window)).group_by(peak)
    return {int(p): int(n) for p, n in await conn.execute(query)}


def _dimension(t: Table, by: str) -> Any:
    if by == "entry_point":
        return func.coalesce(t.c.entry_cta_id, literal(FORM_KEY) + t.c.entry_form_id)
    return t.c[by]


def _label(t: Table, by: str, key: Any) -> Any:
    if by == "entry_point":
        return func.max(func.coalesce(t.c.entry_cta_label, literal(FORM_LABEL) + t.c.entry_form_id))
    return func.max(key)


async def conversion(
    conn: AsyncConnection,
    tables: BoardTables,
    window: Window,
    by: str,
    target: int,
    limit: int = 50,
) -> list[Conversion]:
    """The `limit` largest groups of the prospects first seen in the window (most first). By
    entry point, the first CTA's id, or `form:<form_id>` for an inquiry form."""
    t = tables.rows
    key = _dimension(t, by)
    reached = func.sum(case((t.c.peak_stage >= target, 1), else_=0))
    label = _label(t, by, key)
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
