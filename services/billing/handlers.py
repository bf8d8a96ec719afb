from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.billing import CheckoutStartedV1, UpgradeIntentRecordedV1
from schemas.envelope import Event
from schemas.web import CtaClickedV1
from services.billing import metrics, store
from services.billing.domain import (
    Allowed,
    Denied,
    Gated,
    Ladder,
    Tier,
    access,
    current_tier,
    playbook_access,
)
from services.billing.payments import CheckoutSession, PaymentFailed, Payments
from services.billing.stripe_events import COMPLETED, TAKE_BACK, completed, taken_back
from services.common.journal import Appended, append_for_relay, lock_journal
from services.common.outbox import Relay

log = logging.getLogger(__name__)


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
        # SQLite has no advisory lock: one writer at a time in this process (sales.py too).
        self.writing = asyncio.Lock()

    async def _tier(self, conn: AsyncConnection, prospect_id: str) -> Tier:
        return current_tier(self.ladder, await store.tier_changes(conn, prospect_id))

    async def _decide(
        self, conn: AsyncConnection, prospect_id: str, gated: Gated
    ) -> Allowed | Denied:
        current = await self._tier(conn, prospect_id)
        if (cta_id := gated.cta_id) is None:
            return playbook_access(self.ladder, current, str(gated.playbook_id))
        declared = None if cta_id in self.ladder.ctas else await store.declared_tier(conn, cta_id)
        return access(self.ladder, current, cta_id, declared)

    async def tier(self, prospect_id: str) -> Tier:
        async with self.engine.connect() as conn:
            return await self._tier(conn, prospect_id)

    async def access(self, prospect_id: str, gated: Gated) -> Allowed | Denied:
        async with self.engine.connect() as conn:
            return await self._decide(conn, prospect_id, gated)

    async def record_web_events(self, events: Sequence[Event]) -> None:
        """The tier each CTA's clicks declare (`cta.required_tier`), newest click per CTA; a
        redelivered click writes what it wrote before."""
        seen: dict[str, tuple[str, datetime]] = {}
        for e in events:
            if isinstance(e, CtaClickedV1) and e.cta.required_tier:
                known = seen.get(e.cta.id)
                if known is None or e.occurred_at >= known[1]:
                    seen[e.cta.id] = (e.cta.required_tier, e.occurred_at)
        if seen:
            async with self.engine.begin() as conn:
                await store.declare_cta_tiers(conn, seen)

    def _hand_over(self, appended: Appended | None) -> None:
        """After the commit: the relay publishes only what the journal durably holds."""
        if self.relay is not None:
            self.relay.hand_over(appended)

    async def checkout(
        self, prospect_id: str, gated: Gated, success_url: str, cancel_url: str
    ) -> Started:
        """The intent is journaled before Stripe is asked, so a failed Checkout keeps it."""
        now = self.clock()
        async with self.writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            decided = await self._decide(conn, prospect_id, gated)
            if isinstance(decided, Allowed):
                raise NothingToBuy(str(gated))
            intent = UpgradeIntentRecordedV1(
                event_id=uuid.uuid4(),
                occurred_at=now,
                subject_id=prospect_id,
                current_tier=decided.current.name,
                required_tier=decided.required.name,
                cta_id=gated.cta_id,
                playbook_id=gated.playbook_id,
                channel="checkout",
            )
            await store.add_intent(
                conn,
                {
                    "id": str(intent.event_id),
                    "prospect_id": prospect_id,
                    "cta_id": gated.cta_id,
                    "playbook_id": gated.playbook_id,
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
        async with self.writing, self.engine.begin() as conn:
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
        async with self.writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            if not await store.first_delivery(conn, event.id, event.type, now):
                outcome = "duplicate"
            elif event.type == COMPLETED:
                outcome, events = await completed(conn, self.ladder, event.id, event.object, now)
                appended = await append_for_relay(conn, store.journal, events)
            elif event.type in TAKE_BACK:
                outcome, events = await taken_back(conn, event.type, event.id, event.object, now)
                appended = await append_for_relay(conn, store.journal, events)
            else:
                outcome = "ignored"
        self._hand_over(appended)
        metrics.WEBHOOKS.labels(outcome).inc()
        log.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
        return outcome
