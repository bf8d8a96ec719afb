"""The gated playbooks' counters: one row per (playbook, variation), added to as content events
arrive. The additions and the ids of the events applied commit in one transaction, so a
redelivered batch adds nothing; additions (`views = views + n`) let instances on different
partitions write the same row without losing each other's counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import processed_events_table
from services.projections.models.playbooks import PlaybookCounts, PlaybookKey
from services.projections.tables.board import metadata

PLAYBOOK_STATS = "projections_playbook_stats"


def stats_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("playbook_id", String(200), primary_key=True),
        Column("variation_id", String(200), primary_key=True),
        Column("views", Integer, nullable=False),
        Column("submissions", Integer, nullable=False),
        Column("seconds_sum", Float, nullable=False),
        Column("seconds_count", Integer, nullable=False),
    )


STATS = stats_table(PLAYBOOK_STATS, metadata)
PROCESSED = processed_events_table(metadata, PLAYBOOK_STATS)


async def add(
    conn: AsyncConnection, counts: Mapping[PlaybookKey, PlaybookCounts], table: Table = STATS
) -> None:
    """Add these counts to the stored ones, creating the rows not stored yet."""
    if not counts:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values: list[dict[str, Any]] = [
        {
            "playbook_id": playbook,
            "variation_id": variation,
            "views": c.views,
            "submissions": c.submissions,
            "seconds_sum": c.seconds_sum,
            "seconds_count": c.seconds_count,
        }
        for (playbook, variation), c in sorted(counts.items())
    ]
    insert = dialect.insert(table)
    added = ("views", "submissions", "seconds_sum", "seconds_count")
    statement = insert.on_conflict_do_update(
        index_elements=["playbook_id", "variation_id"],
        set_={name: table.c[name] + insert.excluded[name] for name in added},
    )
    await conn.execute(statement, values)


async def all_counts(
    conn: AsyncConnection, table: Table = STATS
) -> dict[PlaybookKey, PlaybookCounts]:
    query = select(table).order_by(table.c.playbook_id, table.c.variation_id)
    return {
        (r.playbook_id, r.variation_id): PlaybookCounts(
            int(r.views), int(r.submissions), float(r.seconds_sum), int(r.seconds_count)
        )
        for r in await conn.execute(query)
    }
