"""The board's merges: which prospect a merged-away id went into, and the ids merged into one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.projections.tables.board import BOARD, BoardTables


async def survivor_of(
    conn: AsyncConnection, prospect_id: str, tables: BoardTables = BOARD
) -> str | None:
    """The prospect a merged-away id went into, or None if it was never merged."""
    query = select(tables.merged.c.merged_into).where(tables.merged.c.prospect_id == prospect_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def merged_into(
    conn: AsyncConnection, prospect_id: str, tables: BoardTables = BOARD
) -> list[str]:
    """The ids merged into this prospect."""
    query = select(tables.merged.c.prospect_id).where(tables.merged.c.merged_into == prospect_id)
    return sorted(await conn.scalars(query))
