"""The board built live, batch by batch from partitions read in any interleaving, with
redeliveries, by two instances at once on PostgreSQL, equals the board rebuilt from scratch by
replaying the whole log into fresh tables (PostgreSQL and SQLite), equals the pure projection,
and agrees with the journey's own state; so do the analytics facts kept beside the rows."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from services.common.db import create_engine
from services.journey.domain.state import Prospect
from services.projections.handlers import BoardProjection
from services.projections.models.board import EMPTY, BoardRow, project
from services.projections.tables import board as board_store
from services.projections.tables.transitions import peak_stage, transitions
from tests.projections.seeded import journey_log, partitions

pytestmark = pytest.mark.postgres


def with_republished(events: Sequence[Event], rng: random.Random) -> list[Event]:
    """The log as an at-least-once relay leaves it: now and then an event twice."""
    out: list[Event] = []
    for event in events:
        out.append(event)
        if rng.random() < 0.02:
            out.append(event)
    return out


async def consume(instance: BoardProjection, owned: list[list[Event]], rng: random.Random) -> None:
    """One instance of the consumer group: its partitions in random interleaving, random batch
    sizes, and a batch delivered again now and then (a commit that did not happen)."""
    cursors = [0] * len(owned)
    while any(c < len(p) for c, p in zip(cursors, owned, strict=True)):
        i = rng.choice([i for i, p in enumerate(owned) if cursors[i] < len(p)])
        batch = owned[i][cursors[i] : cursors[i] + rng.randint(1, 300)]
        await instance.record_journey_events(batch)
        if rng.random() < 0.15:
            await instance.record_journey_events(batch)
        cursors[i] += len(batch)
        await asyncio.sleep(0)


async def replay(
    engine: AsyncEngine, tables: board_store.BoardTables, log: Sequence[Event]
) -> None:
    rebuild = BoardProjection(engine, tables)
    for start in range(0, len(log), 500):
        await rebuild.record_journey_events(log[start : start + 500])


async def fresh_tables(engine: AsyncEngine, name: str) -> board_store.BoardTables:
    metadata = MetaData()
    tables = board_store.board_tables(name, metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return tables


async def rows_of(engine: AsyncEngine, tables: board_store.BoardTables) -> dict[str, BoardRow]:
    async with engine.connect() as conn:
        return await board_store.all_rows(conn, tables)


async def merged_of(engine: AsyncEngine, tables: board_store.BoardTables) -> dict[str, str]:
    async with engine.connect() as conn:
        found = await conn.execute(select(tables.merged))
        return {r.prospect_id: r.merged_into for r in found}


Facts = tuple[list[tuple[Any, ...]], dict[str, int]]


async def facts_of(engine: AsyncEngine, tables: board_store.BoardTables) -> Facts:
    """The analytics facts: every transition, and each row's peak stage."""
    t = tables.transitions
    async with engine.connect() as conn:
        moves = sorted(_fact(r._asdict()) for r in await conn.execute(select(t)))
        peaks = await conn.execute(select(tables.rows.c.prospect_id, tables.rows.c.peak_stage))
        return moves, {pid: peak for pid, peak in peaks}


def _fact(values: dict[str, Any]) -> tuple[Any, ...]:
    # SQLite gives datetimes back without their zone: they were written in UTC.
    return tuple(
        (v if v.tzinfo else v.replace(tzinfo=UTC)) if isinstance(v, datetime) else v
        for v in values.values()
    )


def facts_of_rows(rows: dict[str, BoardRow]) -> Facts:
    moves = sorted(_fact(f) for pid, r in rows.items() for f in transitions(pid, r.stage_periods))
    return moves, {pid: peak_stage(r.stage, r.stage_periods) for pid, r in rows.items()}


def agrees_with_journey(row: BoardRow, prospect: Prospect) -> bool:
    entry, periods = prospect.entry_point, prospect.periods
    return (
        row.stage == prospect.stage
        and row.points == prospect.points
        and row.clicks == prospect.clicks
        and row.email == prospect.email
        and row.imported == prospect.imported
        and row.created_at == prospect.created_at
        and row.entered_stage_at == prospect.periods[-1].entered_at
        and row.stage_periods == tuple((p.stage, p.entered_at, p.exited_at) for p in periods)
        and row.entry_cta_id == (entry.cta_id if entry else None)
        and row.entry_form_id == (entry.form_id if entry else None)
        and row.utm_campaign == (entry.utm.campaign if entry else None)
        and row.entry_captured_at == (entry.captured_at if entry else None)
    )


async def test_the_board_built_live_equals_the_board_rebuilt_by_replaying_the_log(
    postgres: AsyncEngine, sqlite: AsyncEngine
) -> None:
    rng = random.Random(11)
    journey = journey_log(seed=11, visitors=400)
    log = with_republished(journey.events, rng)
    assert len(journey.events) > 5000
    assert sum(e.type == "prospects.merged.v1" for e in log) > 100

    # Live: three partitions, two instances of the group on one database at once.
    other_engine = create_engine(postgres.url.render_as_string(hide_password=False))
    try:
        split = partitions(log, 3)
        await asyncio.gather(
            consume(BoardProjection(postgres), split[:2], random.Random(1)),
            consume(BoardProjection(other_engine), split[2:], random.Random(2)),
        )
    finally:
        await other_engine.dispose()
    live = await rows_of(postgres, board_store.BOARD)

    rebuilt_tables = await fresh_tables(postgres, "projections_board_rebuild")
    await replay(postgres, rebuilt_tables, log)
    await replay(sqlite, board_store.BOARD, log)
    distinct = list({e.event_id: e for e in log}.values())
    projected = project(EMPTY, distinct)

    assert live == await rows_of(postgres, rebuilt_tables)
    assert live == await rows_of(sqlite, board_store.BOARD)
    assert live == dict(projected.rows)
    assert await merged_of(postgres, board_store.BOARD) == dict(projected.merged)
    assert await merged_of(sqlite, board_store.BOARD) == dict(projected.merged)

    live_facts = await facts_of(postgres, board_store.BOARD)
    assert live_facts == await facts_of(postgres, rebuilt_tables)
    assert live_facts == await facts_of(sqlite, board_store.BOARD)
    assert live_facts == facts_of_rows(dict(projected.rows))
    assert len(live_facts[0]) > 500

    assert set(live) == set(journey.prospects)
    disagreeing = [
        pid for pid, row in live.items() if not agrees_with_journey(row, journey.prospects[pid])
    ]
    assert disagreeing == []
    assert {row.stage for row in live.values()} == {1, 2, 3, 4, 5, 6}


async def test_a_redelivered_batch_and_a_repeated_event_change_nothing(
    postgres: AsyncEngine,
) -> None:
    log = journey_log(seed=3, visitors=20).events
    handler = BoardProjection(postgres)
    await handler.record_journey_events(log)
    once = await rows_of(postgres, board_store.BOARD)

    await handler.record_journey_events(log)
    await handler.record_journey_events([log[-1], log[-1]])

    assert await rows_of(postgres, board_store.BOARD) == once
    assert once == dict(project(EMPTY, log).rows)
