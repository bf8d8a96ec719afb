"""The billing service's own tables: upgrade intents (found again by the Checkout Session's
`client_reference_id`, and after completion by Stripe's ids of the purchase), the Stripe events
already processed, the tier each CTA's clicks declare, and its journal (history and outbox), which
also holds each prospect's tier changes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Column, DateTime, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.billing import TierDowngradedV1, TierUpgradedV1
from services.common.db import as_utc
from services.common.journal import journal_table, position_table

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()
# Stripe's ids of a completed purchase, in the order a refund or dispute is matched by them.
STRIPE_IDS = ("subscription", "payment_intent", "invoice", "customer")

intents = Table(
    "billing_intents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("prospect_id", String(200), nullable=False),
    Column("cta_id", String(200), nullable=True),
    Column("playbook_id", String(200), nullable=True),
    Column("current_tier", String(100), nullable=False),
    Column("required_tier", String(100), nullable=False),
    Column("checkout_session_id", String(255), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    *(Column(f"stripe_{name}", String(255), nullable=True) for name in STRIPE_IDS),
)
stripe_events = Table(
    "billing_stripe_events",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
cta_tiers = Table(
    "billing_cta_tiers",
    metadata,
    Column("cta_id", String(200), primary_key=True),
    Column("required_tier", String(100), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
journal = journal_table(metadata, "billing")
relay_position = position_table(metadata, "billing")

_CHANGE: TypeAdapter[TierUpgradedV1 | TierDowngradedV1] = TypeAdapter(
    TierUpgradedV1 | TierDowngradedV1
)
CHANGES = ("tier.upgraded.v1", "tier.downgraded.v1")


async def tier_changes(
    conn: AsyncConnection, prospect_id: str
) -> list[TierUpgradedV1 | TierDowngradedV1]:
    """The prospect's tier changes in the order they were recorded."""
    rows = await conn.execute(
        select(journal.c.payload)
        .where(journal.c.subject_id == prospect_id, journal.c.type.in_(CHANGES))
        .order_by(journal.c.seq)
    )
    return [_CHANGE.validate_json(r.payload) for r in rows]


async def purchased(conn: AsyncConnection, intent_id: str, ids: dict[str, str]) -> None:
    """Note Stripe's ids of the completed purchase on its intent."""
    values = {f"stripe_{k}": v for k, v in ids.items() if k in STRIPE_IDS}
    if values:
        await conn.execute(update(intents).where(intents.c.id == intent_id).values(values))


async def purchase(conn: AsyncConnection, ids: dict[str, str]) -> Any:
    """The completed intent these Stripe ids belong to, trying the most specific id first; the
    newest purchase when a customer made several."""
    for name in STRIPE_IDS:
        if (value := ids.get(name)) is None:
            continue
        column = intents.c[f"stripe_{name}"]
        query = select(intents).where(column == value).order_by(intents.c.recorded_at.desc())
        if (found := (await conn.execute(query.limit(1))).first()) is not None:
            return found
    return None


async def declare_cta_tiers(conn: AsyncConnection, seen: dict[str, tuple[str, datetime]]) -> None:
    """Keep, per CTA, the tier its newest click (in event time) declared; an older click
    delivered late changes nothing."""
    if not seen:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(cta_tiers)
    statement = insert.on_conflict_do_update(
        index_elements=["cta_id"],
        set_={"required_tier": insert.excluded.required_tier, "seen_at": insert.excluded.seen_at},
        where=insert.excluded.seen_at >= cta_tiers.c.seen_at,
    )
    rows = [
        {"cta_id": cta, "required_tier": tier, "seen_at": as_utc(at)}
        for cta, (tier, at) in seen.items()
    ]
    await conn.execute(statement, rows)


async def declared_tier(conn: AsyncConnection, cta_id: str) -> str | None:
    query = select(cta_tiers.c.required_tier).where(cta_tiers.c.cta_id == cta_id)
    return (await conn.execute(query)).scalar()


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
