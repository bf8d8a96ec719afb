"""The journey service's own tables: prospects, visitor-id aliases, its journal (timeline and
outbox), and the ids of the events it has applied."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import parse_event
from schemas.envelope import Event
from schemas.values import EntryPoint
from services.common.db import processed_events_table
from services.common.outbox import journal_table, position_table
from services.journey.domain import Period, Prospect

MIGRATIONS = Path(__file__).parent / "migrations"
CHUNK = 1000
metadata = MetaData()

prospects = Table(
    "journey_prospects",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("stage", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("email", String(320), index=True),
    Column("name", String(300)),
    Column("entry_point", JSON),
    Column("entry_point_history", JSON, nullable=False),
    Column("imported", Boolean, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("periods", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
    Column("points_as_of", DateTime(timezone=True), nullable=False),
)
aliases = Table(
    "journey_aliases",
    metadata,
    Column("alias", String(200), primary_key=True),
    Column("prospect_id", String(200), nullable=False, index=True),
)
journal = journal_table(metadata, "journey")
relay_position = position_table(metadata, "journey")
processed = processed_events_table(metadata, "journey")


async def resolve(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, str]:
    """Visitor ids that were merged into another prospect, mapped to that prospect's id."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(ids)):
        rows = await conn.execute(select(aliases).where(aliases.c.alias.in_(chunk)))
        found.update((r.alias, r.prospect_id) for r in rows)
    return found


async def load(
    conn: AsyncConnection, ids: Iterable[str], *, lock: bool = False
) -> dict[str, Prospect]:
    found: dict[str, Prospect] = {}
    for chunk in _chunks(sorted(set(ids))):
        query = select(prospects).where(prospects.c.id.in_(chunk)).order_by(prospects.c.id)
        rows = await conn.execute(query.with_for_update() if lock else query)
        found.update((row.id, _prospect(row._mapping)) for row in rows)
    return found


async def by_email(
    conn: AsyncConnection, emails: Iterable[str], *, lock: bool = False
) -> dict[str, Prospect]:
    found: dict[str, Prospect] = {}
    for chunk in _chunks(sorted(set(emails))):
        query = select(prospects).where(prospects.c.email.in_(chunk)).order_by(prospects.c.id)
        rows = await conn.execute(query.with_for_update() if lock else query)
        for row in rows:
            p = _prospect(row._mapping)
            # The elder keeps an email that two prospects briefly shared.
            if p.email and (p.email not in found or p.created_at < found[p.email].created_at):
                found[p.email] = p
    return found


async def save(
    conn: AsyncConnection,
    changed: Sequence[Prospect],
    existing: set[str],
    merged: dict[str, str],
) -> None:
    """Write changed prospects; `merged` maps ids folded away to their survivor."""
    new = [_row(p) for p in changed if p.id not in existing]
    old = [{**_row(p), "pid": p.id} for p in changed if p.id in existing]
    if new:
        await conn.execute(insert(prospects), new)
    if old:
        values: dict[str, Any] = {k: bindparam(k) for k in old[0] if k not in ("id", "pid")}
        await conn.execute(
            update(prospects).where(prospects.c.id == bindparam("pid")).values(values), old
        )
    if merged:
        await conn.execute(delete(prospects).where(prospects.c.id.in_(list(merged))))
        for gone, survivor in merged.items():
            await conn.execute(
                update(aliases).where(aliases.c.prospect_id == gone).values(prospect_id=survivor)
            )
        known = await resolve(conn, merged)
        await conn.execute(
            insert(aliases),
            [{"alias": a, "prospect_id": s} for a, s in merged.items() if a not in known],
        )


async def timeline(conn: AsyncConnection, prospect_id: str) -> list[Event]:
    """Every event of the prospect and of the visitor ids merged into it, in journal order."""
    ids = [prospect_id, *(await merged_ids(conn, prospect_id))]
    rows = await conn.execute(
        select(journal.c.payload).where(journal.c.subject_id.in_(ids)).order_by(journal.c.seq)
    )
    return [parse_event(r.payload) for r in rows]


async def journaled(conn: AsyncConnection, event_id: uuid.UUID) -> bool:
    found = await conn.execute(select(journal.c.seq).where(journal.c.event_id == str(event_id)))
    return found.first() is not None


async def merged_ids(conn: AsyncConnection, prospect_id: str) -> list[str]:
    rows = await conn.execute(select(aliases.c.alias).where(aliases.c.prospect_id == prospect_id))
    return sorted(r.alias for r in rows)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _row(p: Prospect) -> dict[str, Any]:
    return {
        "id": p.id,
        "stage": p.stage,
        "points": p.points,
        "email": p.email,
        "name": p.name,
        "entry_point": p.entry_point.model_dump(mode="json") if p.entry_point else None,
        "entry_point_history": [ep.model_dump(mode="json") for ep in p.entry_point_history],
        "imported": p.imported,
        "clicks": p.clicks,
        "periods": [
            [
                per.stage,
                per.entered_at.isoformat(),
                per.exited_at.isoformat() if per.exited_at else None,
            ]
            for per in p.periods
        ],
        "created_at": p.created_at,
        "last_activity_at": p.last_activity_at,
        "points_as_of": p.points_as_of,
    }


def _prospect(row: Any) -> Prospect:
    return Prospect(
        id=row["id"],
        stage=row["stage"],
        points=row["points"],
        email=row["email"],
        name=row["name"],
        entry_point=EntryPoint.model_validate(row["entry_point"]) if row["entry_point"] else None,
        entry_point_history=tuple(EntryPoint.model_validate(e) for e in row["entry_point_history"]),
        imported=row["imported"],
        clicks=row["clicks"],
        periods=tuple(
            Period(
                stage,
                datetime.fromisoformat(entered),
                datetime.fromisoformat(exited) if exited else None,
            )
            for stage, entered, exited in row["periods"]
        ),
        created_at=_aware(row["created_at"]),
        last_activity_at=_aware(row["last_activity_at"]),
        points_as_of=_aware(row["points_as_of"]),
    )


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
