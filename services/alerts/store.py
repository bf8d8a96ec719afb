"""The alerts service's own tables: alerts, what it keeps of each prospect, its journal
(history and outbox), and the ids of the journey events it has applied."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import parse_event
from schemas.envelope import Event
from services.alerts.state import OPEN, Alert, Contact
from services.common.db import among, chunks, processed_events_table
from services.common.journal import journal_table, position_table

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

alerts = Table(
    "alerts_alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    # Who the alert is about now: a merge moves it to the survivor (the JSON keeps the rest).
    Column("prospect_id", String(200), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("urgent_since", DateTime(timezone=True)),
    Column("unanswered_escalated", Boolean, nullable=False),
    Column("state", Text, nullable=False),
    Index("ix_alerts_alerts_raised_at_id", "raised_at", "id"),
    Index("ix_alerts_alerts_status_expires_at", "status", "expires_at"),
)
contacts = Table(
    "alerts_prospects",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("merged_into", String(200), index=True),
    Column("state", Text, nullable=False),
)
journal = journal_table(metadata, "alerts")
relay_position = position_table(metadata, "alerts")
processed = processed_events_table(metadata, "alerts")
ALERT = TypeAdapter(Alert)
CONTACT = TypeAdapter(Contact)


async def load_contacts(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Contact]:
    """The prospects with these ids, and the survivors of those that were merged away."""
    found = await _contacts(conn, ids)
    survivors = {c.merged_into for c in found.values() if c.merged_into} - set(found)
    return {**found, **(await _contacts(conn, survivors))}


async def open_alerts(conn: AsyncConnection, prospect_ids: Iterable[str]) -> list[Alert]:
    found: list[Alert] = []
    for chunk in chunks(sorted(set(prospect_ids))):
        query = select(alerts.c.prospect_id, alerts.c.state).where(
            among(conn, alerts.c.prospect_id, chunk), alerts.c.status.in_(OPEN)
        )
        found += [_alert(r) for r in await conn.execute(query)]
    return found


async def alert(conn: AsyncConnection, alert_id: uuid.UUID) -> Alert | None:
    query = select(alerts.c.prospect_id, alerts.c.state).where(alerts.c.id == str(alert_id))
    row = (await conn.execute(query)).first()
    return _alert(row) if row else None


async def due(conn: AsyncConnection, now: datetime, escalate_after: timedelta) -> list[Alert]:
    """Pending alerts the clock may change: past expiry, or URGENT and unanswered too long."""
    now = _utc(now)
    query = select(alerts.c.prospect_id, alerts.c.state).where(
        alerts.c.status == "pending",
        or_(
            alerts.c.expires_at <= now,
            and_(
                alerts.c.urgent_since <= now - escalate_after,
                alerts.c.unanswered_escalated.is_(False),
            ),
        ),
    )
    return [_alert(r) for r in await conn.execute(query)]


# The order consultants work in: URGENT before HIGH, then newest raised first.
urgency = case((alerts.c.priority == "URGENT", 1), else_=0)
Position = tuple[str, datetime, str]


async def page(
    conn: AsyncConnection,
    *,
    status: str | None = None,
    priority: str | None = None,
    prospect_id: str | None = None,
    after: Position | None = None,
    limit: int = 50,
) -> list[Alert]:
    """URGENT first, then newest raised first; `after` is the position of the last alert already
    seen (its `position()`)."""
    query = select(alerts.c.prospect_id, alerts.c.state)
    if status is not None:
        query = query.where(alerts.c.status == status)
    if priority is not None:
        query = query.where(alerts.c.priority == priority)
    if prospect_id is not None:
        query = query.where(alerts.c.prospect_id == prospect_id)
    if after is not None:
        rank, at, last_id = int(after[0] == "URGENT"), _utc(after[1]), after[2]
        query = query.where(
            or_(
                urgency < rank,
                and_(
                    urgency == rank,
                    or_(
                        alerts.c.raised_at < at,
                        and_(alerts.c.raised_at == at, alerts.c.id < last_id),
                    ),
                ),
            )
        )
    query = query.order_by(urgency.desc(), alerts.c.raised_at.desc(), alerts.c.id.desc())
    return [_alert(r) for r in await conn.execute(query.limit(limit))]


def position(alert: Alert) -> Position:
    return alert.priority, alert.raised_at, str(alert.id)


async def history(conn: AsyncConnection, alert: Alert) -> list[Event]:
    """The alert's events in the order they were recorded."""
    query = (
        select(journal.c.payload)
        .where(journal.c.subject_id == alert.subject_id)
        .order_by(journal.c.seq)
    )
    events = [parse_event(r.payload) for r in await conn.execute(query)]
    return [e for e in events if getattr(e, "alert_id", None) == alert.id]


async def save_alerts(conn: AsyncConnection, changed: Sequence[Alert]) -> None:
    await _upsert(conn, alerts, [_alert_row(a) for a in changed])


async def save_contacts(conn: AsyncConnection, changed: Sequence[Contact]) -> None:
    await _upsert(
        conn,
        contacts,
        [
            {"id": c.id, "merged_into": c.merged_into, "state": CONTACT.dump_json(c).decode()}
            for c in changed
        ],
    )


async def relink(conn: AsyncConnection, merges: Sequence[tuple[str, str]]) -> None:
    """Prospects merged away, in order, as (gone, survivor): their alerts and aliases move to
    the survivor."""
    for gone, survivor in merges:
        await conn.execute(
            update(alerts).where(alerts.c.prospect_id == gone).values(prospect_id=survivor)
        )
        await conn.execute(
            update(contacts).where(contacts.c.merged_into == gone).values(merged_into=survivor)
        )


async def _contacts(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(contacts.c.merged_into, contacts.c.state).where(
            among(conn, contacts.c.id, chunk)
        )
        for row in await conn.execute(query):
            contact = replace(CONTACT.validate_json(row.state), merged_into=row.merged_into)
            found[contact.id] = contact
    return found


async def _upsert(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    changes = {c: insert.excluded[c] for c in rows[0] if c != "id"}
    await conn.execute(insert.on_conflict_do_update(index_elements=["id"], set_=changes), rows)


def _alert_row(a: Alert) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "prospect_id": a.prospect_id,
        "status": a.status,
        "priority": a.priority,
        "raised_at": _utc(a.raised_at),
        "expires_at": _utc(a.expires_at),
        "urgent_since": _utc(a.urgent_since) if a.urgent_since else None,
        "unanswered_escalated": a.unanswered_escalated,
        "state": ALERT.dump_json(a).decode(),
    }


def _alert(row: Any) -> Alert:
    # The column is the truth for prospect_id: merges move alerts without rewriting their JSON.
    return replace(ALERT.validate_json(row.state), prospect_id=row.prospect_id)


def _utc(at: datetime) -> datetime:
    # SQLite keeps datetimes as text without an offset: one zone makes them compare right.
    return at.astimezone(UTC)
