"""The billing service's own tables: upgrade intents (found again by the Checkout Session's
`client_reference_id`), the Stripe events already processed, and its journal (history and
outbox), which also holds each prospect's `tier.upgraded.v1` events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Column, DateTime, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.billing import TierUpgradedV1
from services.common.db import as_utc
from services.common.journal import journal_table, position_table

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

intents = Table(
    "billing_intents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("prospect_id", String(200), nullable=False),
    Column("cta_id", String(200), nullable=True),
    Column("current_tier", String(100), nullable=False),
    Column("required_tier", String(100), nullable=False),
    Column("checkout_session_id", String(255), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
stripe_events = Table(
    "billing_stripe_events",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
journal = journal_table(metadata, "billing")
relay_position = position_table(metadata, "billing")

_UPGRADE = TypeAdapter(TierUpgradedV1)


async def upgrades(conn: AsyncConnection, prospect_id: str) -> list[TierUpgradedV1]:
    rows = await conn.execute(
        select(journal.c.payload)
        .where(journal.c.subject_id == prospect_id, journal.c.type == "tier.upgraded.v1")
        .order_by(journal.c.seq)
    )
    return [_UPGRADE.validate_json(r.payload) for r in rows]


async def add_intent(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(intents.insert().values({**row, "recorded_at": as_utc(row["recorded_at"])}))


async def intent(conn: AsyncConnection, intent_id: str) -> Any:
    return (await conn.execute(select(intents).where(intents.c.id == intent_id))).first()


async def attach_session(conn: AsyncConnection, intent_id: str, session_id: str) -> None:
    await conn.execute(
        update(intents).where(intents.c.id == intent_id).values(checkout_session_id=session_id)
    )


async def first_delivery(conn: AsyncConnection, event_id: str, kind: str, at: datetime) -> bool:
    """Record a Stripe event as processed; False when it was already."""
    seen = await conn.execute(select(stripe_events.c.id).where(stripe_events.c.id == event_id))
    if seen.first() is not None:
        return False
    await conn.execute(
        stripe_events.insert().values(id=event_id, type=kind, received_at=as_utc(at))
    )
    return True
