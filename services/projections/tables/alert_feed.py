"""The alert feed's table, one per read-model version, and how events are applied to it: rows
and the ids of the events applied commit in one transaction, so a redelivered batch changes
nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.envelope import Event
from services.common.db import among, claim, processed_events_table
from services.projections.models.alert_feed import AlertRow, feed
from services.projections.tables.board import metadata

ALERT_FEED = "projections_alert_feed"


def feed_table(name: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column("alert_id", String(36), primary_key=True),
        Column("prospect_id", String(200), nullable=False),
        Column("priority", String(10), nullable=False),
        Column("status", String(20), nullable=False),
        Column("target_stage", Integer, nullable=False),
        Column("gap", Integer, nullable=False),
        Column("raised_at", DateTime(timezone=True), nullable=False),
        Column("repeats", Integer, nullable=False),
        Column("escalated", Boolean, nullable=False),
        Column("acknowledged_at", DateTime(timezone=True)),
        Column("acknowledged_by", String(320)),
        Column("actioned_at", DateTime(timezone=True)),
        Column("actioned_by", String(320)),
        Column("expired_at", DateTime(timezone=True)),
        Index(f"ix_{name}_raised_at", "raised_at"),
    )


FEED = feed_table(ALERT_FEED, metadata)
PROCESSED = processed_events_table(metadata, ALERT_FEED)
_FIELDS = tuple(f.name for f in fields(AlertRow))
_TIMES = ("raised_at", "acknowledged_at", "actioned_at", "expired_at")


async def record(
    conn: AsyncConnection, events: Sequence[Event], table: Table = FEED, ledger: Table = PROCESSED
) -> None:
    """Apply the events not applied yet to `table` and note their ids in `ledger`."""
    fresh = await claim(conn, ledger, events)
    if not fresh:
        return
    ids = {str(a) for e in fresh if (a := getattr(e, "alert_id", None)) is not None}
    await save(conn, feed(await _load(conn, ids, table), fresh), table)


async def raised_between(
    conn: AsyncConnection, start: datetime | None, end: datetime | None, table: Table = FEED
) -> list[AlertRow]:
    """Alerts raised in [start, end)."""
    query = select(table)
    if start is not None:
        query = query.where(table.c.raised_at >= start)
    if end is not None:
        query = query.where(table.c.raised_at < end)
    return [_row(r) for r in await conn.execute(query)]


async def _load(conn: AsyncConnection, ids: Iterable[str], table: Table) -> dict[str, AlertRow]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(table).where(among(conn, table.c.alert_id, wanted)))
    return {r.alert_id: _row(r) for r in rows}


async def save(conn: AsyncConnection, rows: Mapping[str, AlertRow], table: Table = FEED) -> None:
    """Store these rows over those with the same alert ids."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = [
        {k: (v.astimezone(UTC) if k in _TIMES and v else v) for k, v in asdict(r).items()}
        for r in rows.values()
    ]
    insert = dialect.insert(table)
    changes = {c: insert.excluded[c] for c in _FIELDS if c != "alert_id"}
    await conn.execute(
        insert.on_conflict_do_update(index_elements=["alert_id"], set_=changes), values
    )


def _row(record: Any) -> AlertRow:
    values = {name: getattr(record, name) for name in _FIELDS}
    for name in _TIMES:
        at = values[name]
        if at is not None:
            values[name] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return AlertRow(**values)


async def alerts_of(
    conn: AsyncConnection, prospect_ids: Sequence[str], table: Table = FEED
) -> list[AlertRow]:
    """Every alert raised for these prospect ids, newest first."""
    query = (
        select(table)
        .where(among(conn, table.c.prospect_id, sorted(set(prospect_ids))))
        .order_by(table.c.raised_at.desc(), table.c.alert_id)
    )
    return [_row(r) for r in await conn.execute(query)]
