from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.billing import (
    CheckoutCompletedV1,
    CheckoutStartedV1,
    TierUpgradedV1,
    UpgradeIntentRecordedV1,
)
from schemas.envelope import Event
from services.billing import metrics, store
from services.billing.domain import Allowed, Denied, Ladder, Tier, access, current_tier
from services.billing.payments import CheckoutSession, PaymentFailed, Payments
from services.common.journal import Appended, append_for_relay, lock_journal
from services.common.outbox import Relay

log = logging.getLogger(__name__)
# Stripe's event id names the events a delivery causes, so a redelivery could not add others.
STRIPE_EVENTS = uuid.UUID("5d0f0c1e-2b8a-4f5e-9c3d-7a6b1e2f3c4d")
COMPLETED = "checkout.session.completed"


class NothingToBuy(Exception):
    """The prospect already has the tier the CTA needs (or the CTA needs none)."""


class CheckoutFailed(Exception):
    def __init__(self, intent_id: uuid.UUID, reason: str):
        super().__init__(reason)
        self.intent_id, self.reason = intent_id, reason


@dataclass(frozen=True)
class Started:
    intent_id: uuid.UUID
    session: CheckoutSession


def _now() -> datetime:
    return datetime.now(UTC)


class Billing:
    def __init__(
        self,
        engine: AsyncEngine,
        relay: Relay | None,
        ladder: Ladder,
        payments: Payments,
        clock: Callable[[], datetime] = _now,
    ):
        self.engine, self.relay, self.ladder = engine, relay, ladder
        self.payments, self.clock = payments, clock
        # SQLite has no advisory lock: one writer at a time in this process.
        self._writing = asyncio.Lock()

    async def _tier(self, conn: AsyncConnection, prospect_id: str) -> Tier:
        return current_tier(self.ladder, await store.upgrades(conn, prospect_id))

    async def access(self, prospect_id: str, cta_id: str) -> Allowed | Denied:
        async with self.engine.connect() as conn:
            return access(self.ladder, await self._tier(conn, prospect_id), cta_id)

    def _hand_over(self, appended: Appended | None) -> None:
        """After the commit: the relay publishes only what the journal durably holds."""
        if self.relay is not None:
            self.relay.hand_over(appended)

    async def checkout(
        self, prospect_id: str, cta_id: str, success_url: str, cancel_url: str
    ) -> Started:
        """The intent is journaled before Stripe is asked, so a failed Checkout keeps it."""
        now = self.clock()
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            decided = access(self.ladder, await self._tier(conn, prospect_id), cta_id)
            if isinstance(decided, Allowed):
                raise NothingToBuy(cta_id)
            intent = UpgradeIntentRecordedV1(
                event_id=uuid.uuid4(),
                occurred_at=now,
                subject_id=prospect_id,
                current_tier=decided.current.name,
                required_tier=decided.required.name,
                cta_id=cta_id,
                channel="checkout",
            )
            await store.add_intent(
                conn,
                {
                    "id": str(intent.event_id),
                    "prospect_id": prospect_id,
                    "cta_id": cta_id,
                    "current_tier": intent.current_tier,
                    "required_tier": intent.required_tier,
                    "recorded_at": now,
                },
            )
            appended = await append_for_relay(conn, store.journal, [intent])
        self._hand_over(appended)
        price = decided.required.price_id
        try:
            if price is None:
                raise PaymentFailed(f"tier {decided.required.name!r} has no Stripe price")
            session = await self.payments.checkout(
                price_id=price,
                reference=str(intent.event_id),
                success_url=success_url,
                cancel_url=cancel_url,
            )
        except PaymentFailed as exc:
            metrics.CHECKOUTS_FAILED.inc()
            log.warning("checkout for intent %s failed: %s", intent.event_id, exc)
            raise CheckoutFailed(intent.event_id, str(exc)) from exc
        started = CheckoutStartedV1(
            event_id=intent.caused("checkout"),
            occurred_at=self.clock(),
            subject_id=prospect_id,
            checkout_session_id=session.id,
            tier=decided.required.name,
            **intent.lineage(),
        )
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            await store.attach_session(conn, str(intent.event_id), session.id)
            appended = await append_for_relay(conn, store.journal, [started])
        self._hand_over(appended)
        metrics.CHECKOUTS_STARTED.inc()
        return Started(intent.event_id, session)

    async def webhook(self, payload: bytes, signature: str | None) -> str:
        """The outcome of one verified delivery (raises BadSignature before anything is
        written). The processed Stripe event id commits with the events it caused."""
        event = self.payments.verify(payload, signature)
        now = self.clock()
        appended = None
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            if not await store.first_delivery(conn, event.id, event.type, now):
                outcome = "duplicate"
            elif event.type != COMPLETED:
                outcome = "ignored"
            else:
                outcome, events = await self._completed(conn, event.id, event.object, now)
                appended = await append_for_relay(conn, store.journal, events)
        self._hand_over(appended)
        metrics.WEBHOOKS.labels(outcome).inc()
        log.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
        return outcome

    async def _completed(
        self, conn: AsyncConnection, stripe_event_id: str, session: dict[str, object], now: datetime
    ) -> tuple[str, list[Event]]:
        reference = session.get("client_reference_id")
        found = await store.intent(conn, reference) if isinstance(reference, str) else None
        if found is None:
            return "unknown_intent", []
        tier = self.ladder.tier(found.required_tier)
        if tier is None:
            return "unknown_tier", []
        cause = uuid.uuid5(STRIPE_EVENTS, stripe_event_id)
        lineage = {"correlation_id": uuid.UUID(found.id), "causation_id": uuid.UUID(found.id)}
        completed = CheckoutCompletedV1(
            event_id=cause,
            occurred_at=now,
            subject_id=found.prospect_id,
            checkout_session_id=str(session.get("id") or found.checkout_session_id or ""),
            stripe_event_id=stripe_event_id,
            tier=tier.name,
            **lineage,
        )
        events: list[Event] = [completed]
        current = await self._tier(conn, found.prospect_id)
        if self.ladder.rank(tier.name) > self.ladder.rank(current.name):
            events.append(
                TierUpgradedV1(
                    event_id=completed.caused("upgraded"),
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
