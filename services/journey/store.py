"""The journey service's own tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.values import EntryPoint
from services.common.db import processed_events_table
from services.journey.domain import Prospect

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

prospects = Table(
    "journey_prospects",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("stage", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("email", String(320), index=True),
    Column("entry_point", JSON),
    Column("clicks", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
)
processed = processed_events_table(metadata, "journey")


async def load(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Prospect]:
    wanted = list(ids)
    found: dict[str, Prospect] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(prospects).where(prospects.c.id.in_(wanted[start : start + 500]))
        )
        found.update((row.id, _prospect(row._mapping)) for row in rows)
    return found


async def save(conn: AsyncConnection, changed: Sequence[Prospect], existing: set[str]) -> None:
    new = [_row(p) for p in changed if p.id not in existing]
    old = [{**_row(p), "pid": p.id} for p in changed if p.id in existing]
    if new:
        await conn.execute(insert(prospects), new)
    if old:
        values: dict[str, Any] = {k: bindparam(k) for k in old[0] if k not in ("id", "pid")}
        await conn.execute(
            update(prospects).where(prospects.c.id == bindparam("pid")).values(values), old
        )


def _row(p: Prospect) -> dict[str, Any]:
    return {
        "id": p.id,
        "stage": p.stage,
        "points": p.points,
        "email": p.email,
        "entry_point": p.entry_point.model_dump(mode="json") if p.entry_point else None,
        "clicks": p.clicks,
        "created_at": p.created_at,
        "last_activity_at": p.last_activity_at,
    }


def _prospect(row: Any) -> Prospect:
    return Prospect(
        id=row["id"],
        stage=row["stage"],
        points=row["points"],
        email=row["email"],
        entry_point=EntryPoint.model_validate(row["entry_point"]) if row["entry_point"] else None,
        created_at=_aware(row["created_at"]),
        last_activity_at=_aware(row["last_activity_at"]),
        clicks=row["clicks"],
    )


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
