"""Consultants' roadmap notes, as the planning events recorded them: keyed by note id, so a
redelivered note is stored once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import among, as_aware, as_utc, chunks
from services.projections.models.notes import RoadmapNote
from services.projections.tables.board import metadata


def notes_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("note_id", String(36), primary_key=True),
        Column("prospect_id", String(200), nullable=False),
        Column("text", Text, nullable=False),
        Column("author", String(320), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_{name}_prospect", "prospect_id", "recorded_at"),
    )


ROADMAP_NOTES = notes_table("projections_roadmap_notes", metadata)


async def record_notes(
    conn: AsyncConnection, notes: Sequence[RoadmapNote], table: Table = ROADMAP_NOTES
) -> None:
    """Insert notes not stored yet; a redelivered note is left as it was."""
    if not notes:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = [{**asdict(n), "recorded_at": as_utc(n.recorded_at)} for n in notes]
    insert = dialect.insert(table).on_conflict_do_nothing(index_elements=["note_id"])
    await conn.execute(insert, values)


async def notes_of(
    conn: AsyncConnection,
    prospect_ids: Sequence[str],
    limit: int = 100,
    table: Table = ROADMAP_NOTES,
) -> dict[str, list[RoadmapNote]]:
    """Each prospect's notes, newest first, at most `limit` each."""
    t = table
    out: dict[str, list[RoadmapNote]] = {pid: [] for pid in prospect_ids}
    for chunk in chunks(sorted(set(prospect_ids))):
        query = (
            select(t)
            .where(among(conn, t.c.prospect_id, chunk))
            .order_by(t.c.recorded_at.desc(), t.c.note_id.desc())
        )
        for r in await conn.execute(query):
            notes = out[r.prospect_id]
            if len(notes) < limit:
                notes.append(
                    RoadmapNote(r.note_id, r.prospect_id, r.text, r.author, as_aware(r.recorded_at))
                )
    return out
