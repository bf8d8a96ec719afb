"""Talk to Sales: a prospect's request to discuss an upgrade, recorded on `crm.billing` as
`sales_contact.requested.v1` with the tiers it is about."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from schemas.billing import SalesContactRequestedV1
from services.billing import metrics, store
from services.billing.domain import Allowed, Denied, Gated, Ladder, Tier
from services.billing.handlers import Billing
from services.common.journal import append_for_relay, lock_journal

# An Idempotency-Key names the request id, per prospect: a retry finds the request it made.
REQUESTS = uuid.UUID("0b7e3f52-6c1d-4a8e-9f2b-5d4c3a2b1e0f")
ASKED = ("email", "name", "message", "cta_id")


class RequestReused(Exception):
    """The Idempotency-Key was used before for a different request."""


@dataclass(frozen=True)
class ContactAsked:
    prospect_id: str
    email: str
    name: str | None
    message: str | None
    cta_id: str | None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Requested:
    event: SalesContactRequestedV1
    message: str


def tiers_to_discuss(ladder: Ladder, decided: Allowed | Denied) -> Tier | None:
    """The tier the CTA needs when the prospect lacks it, else the next one up; None at the top."""
    if isinstance(decided, Denied):
        return decided.required
    above = ladder.rank(decided.current.name) + 1
    return ladder.tiers[above] if above < len(ladder.tiers) else None


def prefilled_message(current: str, requested: str | None) -> str:
    if requested is None:
        return f"I am on {current} and would like to talk about my plan."
    return f"I am on {current} and would like to talk about upgrading to {requested}."


def request_id(asked: ContactAsked) -> uuid.UUID:
    if asked.idempotency_key is None:
        return uuid.uuid4()
    return uuid.uuid5(REQUESTS, f"{asked.prospect_id}:{asked.idempotency_key}")


class SalesDesk:
    def __init__(self, billing: Billing):
        self.billing = billing

    async def request(self, asked: ContactAsked, now: datetime | None = None) -> Requested:
        """Record the request once per Idempotency-Key (a retry answers the recorded one; the key
        reused for another request raises RequestReused, recording nothing)."""
        billing = self.billing
        decided = (
            await billing.access(asked.prospect_id, Gated(cta_id=asked.cta_id))
            if asked.cta_id
            else Allowed(await billing.tier(asked.prospect_id))
        )
        requested = tiers_to_discuss(billing.ladder, decided)
        event = SalesContactRequestedV1(
            event_id=request_id(asked),
            occurred_at=now or datetime.now(UTC),
            subject_id=asked.prospect_id,
            email=asked.email,
            name=asked.name,
            message=asked.message,
            required_tier=requested.name if requested else None,
            current_tier=decided.current.name,
            cta_id=asked.cta_id,
        )
        # Billing's writer lock: SQLite serialises this process's writers only through it.
        async with billing.writing, billing.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            found = await conn.execute(
                select(store.journal.c.payload).where(
                    store.journal.c.event_id == str(event.event_id)
                )
            )
            before = found.scalar_one_or_none()
            if before is not None:
                event = SalesContactRequestedV1.model_validate_json(before)
                if any(getattr(event, f) != getattr(asked, f) for f in ASKED):
                    raise RequestReused(asked.idempotency_key)
                appended = None
            else:
                appended = await append_for_relay(conn, store.journal, [event])
        if appended is not None:
            if billing.relay is not None:
                billing.relay.hand_over(appended)
            metrics.SALES_CONTACTS.labels(event.required_tier or "none").inc()
        message = event.message or prefilled_message(
            event.current_tier or billing.ladder.lowest.name, event.required_tier
        )
        return Requested(event, message)
