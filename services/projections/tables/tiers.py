"""The tiers' table, one per read-model version, and how upgrades are applied to it: rows and
processed event ids commit together, so a redelivered upgrade changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC

from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import Event
from services.common.db import (
    among,
    as_aware,
    chunks,
    claim,
    processed_events_table,
)
from services.projections.models.tiers import Tier, tier_of, tiers
from services.projections.tables.board import BoardTables, metadata


def tiers_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("prospect_id", String(200), primary_key=True),
        Column("tier", String(100), nullable=False),
        Column("upgraded_at", DateTime(timezone=True), nullable=False),
    )


TIERS = tiers_table("projections_tiers", metadata)
PROCESSED = processed_events_table(metadata, "projections_tiers")


async def record(
    conn: AsyncConnection, events: Sequence[Event], table: Table = TIERS, ledger: Table = PROCESSED
) -> None:
    """Apply the upgrades not applied yet to `table` and note their ids in `ledger`."""
    fresh = await claim(conn, ledger, events)
    if not fresh:
        return
    await save(conn, tiers(await _load(conn, {e.subject_id for e in fresh}, table), fresh), table)


async def save(conn: AsyncConnection, changed: Mapping[str, Tier], table: Table = TIERS) -> None:
    """Store these tiers over those of the same prospects."""
    if not changed:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=["prospect_id"],
        set_={"tier": insert.excluded.tier, "upgraded_at": insert.excluded.upgraded_at},
    )
    values = [
        {"prospect_id": t.prospect_id, "tier": t.tier, "upgraded_at": t.upgraded_at.astimezone(UTC)}
        for t in changed.values()
    ]
    await conn.execute(statement, values)


async def tiers_of(
    conn: AsyncConnection,
    tables: BoardTables,
    prospect_ids: Sequence[str],
    default: str,
    table: Table = TIERS,
) -> dict[str, str]:
    """Each prospect's tier, counting upgrades of visitor ids merged into it."""
    wanted = sorted(set(prospect_ids))
    merged: dict[str, str] = {}
    for chunk in chunks(wanted):
        query = select(tables.merged).where(among(conn, tables.merged.c.merged_into, chunk))
        merged.update((r.prospect_id, r.merged_into) for r in await conn.execute(query))
    kept = await _load(conn, [*wanted, *merged], table)
    return {pid: tier_of(pid, kept, merged, default) for pid in wanted}


async def _load(conn: AsyncConnection, ids: Iterable[str], table: Table) -> dict[str, Tier]:
    found: dict[str, Tier] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(table).where(among(conn, table.c.prospect_id, chunk))
        for r in await conn.execute(query):
            found[r.prospect_id] = Tier(r.prospect_id, r.tier, as_aware(r.upgraded_at))
    return found
