"""What each Stripe event billing listens to changes: a completed checkout raises the tier; a full
refund, a cancelled subscription or a lost dispute takes the purchase back. Runs inside the
webhook's transaction, after its Stripe event id was recorded as processed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.billing import CheckoutCompletedV1, TierDowngradedV1, TierUpgradedV1
from schemas.envelope import Event
from services.billing import metrics, store
from services.billing.domain import Downgrade, Ladder, current_tier, take_back

# Stripe's event id names the events a delivery causes, so a redelivery could not add others.
STRIPE_EVENTS = uuid.UUID("5d0f0c1e-2b8a-4f5e-9c3d-7a6b1e2f3c4d")
COMPLETED = "checkout.session.completed"
# Stripe event type -> the cause a downgrade records.
TAKE_BACK = {
    "charge.refunded": "refund",
    "customer.subscription.deleted": "cancellation",
    "charge.dispute.closed": "dispute",
}
Outcome = tuple[str, list[Event]]


def _ids(obj: dict[str, Any], **named: str) -> dict[str, str]:
    """Stripe ids an object refers to (expanded objects give their own id)."""
    found = {}
    for name, field in named.items():
        value = obj.get(field)
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str) and value:
            found[name] = value
    return found


async def completed(
    conn: AsyncConnection,
    ladder: Ladder,
    stripe_event_id: str,
    session: dict[str, Any],
    now: datetime,
) -> Outcome:
    reference = session.get("client_reference_id")
    found = await store.intent(conn, reference) if isinstance(reference, str) else None
    if found is None:
        return "unknown_intent", []
    tier = ladder.tier(found.required_tier)
    if tier is None:
        return "unknown_tier", []
    ids = _ids(
        session,
        subscription="subscription",
        payment_intent="payment_intent",
        customer="customer",
        invoice="invoice",
    )
    await store.purchased(conn, found.id, ids)
    cause = uuid.uuid5(STRIPE_EVENTS, stripe_event_id)
    lineage = {"correlation_id": uuid.UUID(found.id), "causation_id": uuid.UUID(found.id)}
    done = CheckoutCompletedV1(
        event_id=cause,
        occurred_at=now,
        subject_id=found.prospect_id,
        checkout_session_id=str(session.get("id") or found.checkout_session_id or ""),
        stripe_event_id=stripe_event_id,
        tier=tier.name,
        **lineage,
    )
    events: list[Event] = [done]
    current = current_tier(ladder, await store.tier_changes(conn, found.prospect_id))
    if ladder.rank(tier.name) > ladder.rank(current.name):
        events.append(
            TierUpgradedV1(
                event_id=done.caused("upgraded"),
                occurred_at=now,
                subject_id=found.prospect_id,
                old_tier=current.name,
                new_tier=tier.name,
                source="checkout",
                correlation_id=lineage["correlation_id"],
                causation_id=cause,
            )
        )
    metrics.CHECKOUTS_COMPLETED.inc()
    return ("upgraded" if len(events) == 2 else "completed"), events


def _still_paid(kind: str, obj: dict[str, Any]) -> str | None:
    """Why this event takes nothing back, or None when it does."""
    if kind == "charge.refunded" and obj.get("refunded") is not True:
        return "partial_refund"
    if kind == "charge.dispute.closed" and obj.get("status") != "lost":
        return "dispute_not_lost"
    return None


async def taken_back(
    conn: AsyncConnection, kind: str, stripe_event_id: str, obj: dict[str, Any], now: datetime
) -> Outcome:
    if (reason := _still_paid(kind, obj)) is not None:
        return reason, []
    metadata = obj.get("metadata")
    reference = metadata.get("intent_id") if isinstance(metadata, dict) else None
    found = await store.intent(conn, reference) if isinstance(reference, str) else None
    if found is None:
        if kind == "customer.subscription.deleted":
            ids = _ids(obj, subscription="id", customer="customer")
        else:
            ids = _ids(obj, payment_intent="payment_intent", invoice="invoice", customer="customer")
        found = await store.purchase(conn, ids)
    if found is None:
        return "unknown_purchase", []
    changes = await store.tier_changes(conn, found.prospect_id)
    decided = take_back(changes, uuid.UUID(found.id))
    if not isinstance(decided, Downgrade):
        return decided, []
    metrics.DOWNGRADES.labels(TAKE_BACK[kind]).inc()
    return "downgraded", [_downgraded(found, decided, kind, stripe_event_id, now)]


def _downgraded(
    found: Any, decided: Downgrade, kind: str, stripe_event_id: str, now: datetime
) -> TierDowngradedV1:
    return TierDowngradedV1(
        event_id=uuid.uuid5(STRIPE_EVENTS, stripe_event_id),
        occurred_at=now,
        subject_id=found.prospect_id,
        old_tier=decided.old_tier,
        new_tier=decided.new_tier,
        cause=TAKE_BACK[kind],
        stripe_event_id=stripe_event_id,
        checkout_session_id=found.checkout_session_id,
        correlation_id=uuid.UUID(found.id),
        causation_id=uuid.UUID(found.id),
    )
