"""What the board's filters suggest: the entry points and the campaigns on the board."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.projections.tables.board import BOARD, BoardTables


async def entry_points(
    conn: AsyncConnection, tables: BoardTables = BOARD, limit: int = 200
) -> list[tuple[str, str | None]]:
    """(CTA id, label) of the entry points on the board, for the filter's suggestions."""
    t = tables.rows
    query = (
        select(t.c.entry_cta_id, func.max(t.c.entry_cta_label))
        .where(t.c.entry_cta_id.is_not(None))
        .group_by(t.c.entry_cta_id)
        .order_by(t.c.entry_cta_id)
        .limit(limit)
    )
    return [(cta, label) for cta, label in await conn.execute(query)]


async def campaigns(
    conn: AsyncConnection, tables: BoardTables = BOARD, limit: int = 200
) -> list[str]:
    t = tables.rows
    query = (
        select(t.c.utm_campaign)
        .where(t.c.utm_campaign.is_not(None))
        .group_by(t.c.utm_campaign)
        .order_by(t.c.utm_campaign)
        .limit(limit)
    )
    return [c for (c,) in await conn.execute(query)]
