"""The analytics facts kept beside each board version: every stage transition of a prospect with
its timestamps, and the highest stage a prospect ever reached (`peak_stage` on the board row).
Both are derived from a board row alone, so the live board and a replay write equal facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from itertools import pairwise
from typing import Any

from sqlalchemy import Column, DateTime, Float, Index, Integer, MetaData, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import among
from services.projections.models.board import BoardRow, Period

CHUNK = 5000


def transitions_table(board: str, metadata: MetaData) -> Table:
    name = f"{board}_transitions"
    return Table(
        name,
        metadata,
        Column("prospect_id", String(200), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("from_stage", Integer, nullable=False),
        Column("to_stage", Integer, nullable=False),
        Column("entered_at", DateTime(timezone=True), nullable=False),
        Column("moved_at", DateTime(timezone=True), nullable=False),
        Column("seconds", Float, nullable=False),
        Index(f"ix_{name}_stage_moved", "from_stage", "moved_at", "to_stage", "seconds"),
        # Covers the time-to-advance queries, and their ordered OFFSET reads on SQLite.
        Index(f"ix_{name}_stage_seconds", "from_stage", "seconds", "to_stage", "moved_at"),
    )


def peak_stage(stage: int, periods: Sequence[Period]) -> int:
    return max([stage, *(p[0] for p in periods)])


def transitions(prospect_id: str, periods: Sequence[Period]) -> list[dict[str, Any]]:
    """One fact per stage left: where from, where to, when entered and when left."""
    out = []
    for seq, ((stage, entered, left), following) in enumerate(pairwise(periods)):
        moved = left if left is not None else following[1]
        out.append(
            {
                "prospect_id": prospect_id,
                "seq": seq,
                "from_stage": stage,
                "to_stage": following[0],
                "entered_at": entered.astimezone(UTC),
                "moved_at": moved.astimezone(UTC),
                "seconds": max(0.0, (moved - entered).total_seconds()),
            }
        )
    return out


async def replace_transitions(
    conn: AsyncConnection, table: Table, gone: Iterable[str], rows: Sequence[BoardRow]
) -> None:
    """Drop the facts of prospects merged away, and rewrite those of these rows."""
    stale = sorted({*gone, *(r.prospect_id for r in rows)})
    for start in range(0, len(stale), CHUNK):
        chunk = stale[start : start + CHUNK]
        await conn.execute(delete(table).where(among(conn, table.c.prospect_id, chunk)))
    facts = [t for r in rows for t in transitions(r.prospect_id, r.stage_periods)]
    for start in range(0, len(facts), CHUNK):
        await conn.execute(table.insert(), facts[start : start + CHUNK])
