"""The tiers' table and its projection: rows and processed event ids commit together, so a
redelivered upgrade changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC

from sqlalchemy import Column, DateTime, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.envelope import Event
from services.common.db import among, mark_processed, processed_events_table, unprocessed
from services.projections.store import BoardTables, as_aware, chunks, metadata
from services.projections.tiers import Tier, tier_of, tiers

TIERS = Table(
    "projections_tiers",
    metadata,
    Column("prospect_id", String(200), primary_key=True),
    Column("tier", String(100), nullable=False),
    Column("upgraded_at", DateTime(timezone=True), nullable=False),
)
PROCESSED = processed_events_table(metadata, "projections_tiers")


class TierProjection:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record_billing_events(self, events: Sequence[Event]) -> None:
        async with self.engine.begin() as conn:
            fresh = await unprocessed(conn, PROCESSED, events)
            if not fresh:
                return
            changed = tiers(await _load(conn, {e.subject_id for e in fresh}), fresh)
            if changed:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                insert = dialect.insert(TIERS)
                statement = insert.on_conflict_do_update(
                    index_elements=["prospect_id"],
                    set_={"tier": insert.excluded.tier, "upgraded_at": insert.excluded.upgraded_at},
                )
                values = [
                    {
                        "prospect_id": t.prospect_id,
                        "tier": t.tier,
                        "upgraded_at": t.upgraded_at.astimezone(UTC),
                    }
                    for t in changed.values()
                ]
                await conn.execute(statement, values)
            await mark_processed(conn, PROCESSED, [e.event_id for e in fresh])


async def tiers_of(
    conn: AsyncConnection, tables: BoardTables, prospect_ids: Sequence[str], default: str
) -> dict[str, str]:
    """Each prospect's tier, counting upgrades of visitor ids merged into it."""
    wanted = sorted(set(prospect_ids))
    merged: dict[str, str] = {}
    for chunk in chunks(wanted):
        query = select(tables.merged).where(among(conn, tables.merged.c.merged_into, chunk))
        merged.update((r.prospect_id, r.merged_into) for r in await conn.execute(query))
    kept = await _load(conn, [*wanted, *merged])
    return {pid: tier_of(pid, kept, merged, default) for pid in wanted}


async def _load(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Tier]:
    found: dict[str, Tier] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(TIERS).where(among(conn, TIERS.c.prospect_id, chunk))
        for r in await conn.execute(query):
            found[r.prospect_id] = Tier(r.prospect_id, r.tier, as_aware(r.upgraded_at))
    return found
