"""The planning service's own tables: the prospect ids the journey created (and where merges
sent them), its journal of notes (history and outbox), and the ids of the journey events it
has applied, and the fingerprints of notes given with an idempotency key."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import parse_event
from schemas.planning import RoadmapNoteRecordedV1
from services.common.db import processed_events_table
from services.common.idempotency import commands_table
from services.common.journal import journal_table, position_table
from services.planning.domain import Learned, Prospect

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

prospects = Table(
    "planning_prospects",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("merged_into", String(200)),
)
journal = journal_table(metadata, "planning")
relay_position = position_table(metadata, "planning")
processed = processed_events_table(metadata, "planning")
commands = commands_table(metadata, "planning")

# A merge may be merged further; more hops than this would be a cycle.
MAX_HOPS = 100


async def save(conn: AsyncConnection, learned: Learned) -> None:
    """A creation adds the id and leaves a merge already known alone (a merge, keyed by its
    survivor, may be read before the merged id's creation, keyed by that id)."""
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(prospects)
    if learned.created:
        rows = [{"id": pid, "merged_into": None} for pid in sorted(set(learned.created))]
        await conn.execute(insert.on_conflict_do_nothing(index_elements=["id"]), rows)
    for gone, survivor in learned.merges:
        await conn.execute(
            insert.values(id=gone, merged_into=survivor).on_conflict_do_update(
                index_elements=["id"], set_={"merged_into": survivor}
            )
        )


async def prospect(conn: AsyncConnection, prospect_id: str) -> Prospect | None:
    """The prospect with this id, `merged_into` the id it goes by now (after every merge)."""
    pid, merged_into = prospect_id, None
    for _ in range(MAX_HOPS):
        query = select(prospects.c.merged_into).where(prospects.c.id == pid)
        row = (await conn.execute(query)).first()
        if row is None:
            return None if pid == prospect_id else Prospect(prospect_id, merged_into)
        if row.merged_into is None:
            return Prospect(prospect_id, merged_into)
        pid = merged_into = row.merged_into
    raise ValueError(f"merges of {prospect_id!r} form a cycle")


async def recorded_note(conn: AsyncConnection, event_id: uuid.UUID) -> RoadmapNoteRecordedV1 | None:
    query = select(journal.c.payload).where(journal.c.event_id == str(event_id))
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    event = parse_event(row.payload)
    assert isinstance(event, RoadmapNoteRecordedV1)
    return event
