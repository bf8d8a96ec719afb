from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas import topics
from schemas.alerts import AlertRaisedV1, SalesAlertRaisedV1
from schemas.billing import SalesContactRequestedV1
from schemas.catalogue import topic_of, type_name
from schemas.envelope import Event
from schemas.journey import (
    EntryPointCapturedV1,
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectEmailLinkedV1,
    ProspectMovedManuallyV1,
    ProspectsMergedV1,
    StageSkippedV1,
)
from services.alerts import metrics, store
from services.alerts.domain import (
    NotFound,
    decide,
    decide_acknowledge,
    decide_action,
    decide_move,
    decide_sales,
    decide_sweep,
)
from services.alerts.state import Alert, Contact, absorb, evolve, fold, note
from services.common.db import claim
from services.common.journal import Appended, append_for_relay, lock_journal
from services.common.outbox import Relay

# What `Workset.apply` acts on; the consumer passes over the rest of the journey's and billing's
# events unparsed (tests/alerts/test_passed_over.py holds apply to ignoring them).
ACTED_ON = frozenset(
    type_name(c)
    for c in (
        ProspectCreatedV1,
        ProspectEmailLinkedV1,
        ProspectsMergedV1,
        EntryPointCapturedV1,
        PointsAwardedV1,
        StageSkippedV1,
        ProspectMovedManuallyV1,
        SalesContactRequestedV1,
    )
)


# The events whose prospects' open alerts `apply` reads or changes.
DECIDING = (StageSkippedV1, ProspectMovedManuallyV1, ProspectsMergedV1, SalesContactRequestedV1)


@dataclass
class Workset:
    """The prospects and open alerts one batch touches, loaded once, changed in memory, saved
    once."""

    contacts: dict[str, Contact]
    open: dict[str, list[Alert]]
    changed_contacts: set[str] = field(default_factory=set)
    changed_alerts: dict[uuid.UUID, Alert] = field(default_factory=dict)
    merges: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    async def load(cls, conn: AsyncConnection, events: Sequence[Event]) -> Workset:
        ids = {e.subject_id for e in events}
        ids |= {e.merged_id for e in events if isinstance(e, ProspectsMergedV1)}
        work = cls(await store.load_contacts(conn, ids), {})
        # Open alerts only where they may change: most events (clicks' points, entry points)
        # only note contact details, and reading every touched prospect's open alerts cost
        # as much as the rest of the batch.
        deciding = {e.subject_id for e in events if isinstance(e, DECIDING)}
        deciding |= {e.merged_id for e in events if isinstance(e, ProspectsMergedV1)}
        if deciding:
            wanted = {work.resolve(i) for i in deciding} | deciding
            for alert in await store.open_alerts(conn, wanted):
                work.open.setdefault(alert.prospect_id, []).append(alert)
        return work

    def resolve(self, pid: str) -> str:
        """The id a prospect goes by now: its own, or the survivor's it was merged into."""
        for _ in range(len(self.contacts) + 1):
            contact = self.contacts.get(pid)
            if contact is None or contact.merged_into is None:
                return pid
            pid = contact.merged_into
        raise ValueError(f"merges of {pid!r} form a cycle")

    def apply(self, event: Event) -> list[Event]:
        pid = self.resolve(event.subject_id)
        if isinstance(event, ProspectsMergedV1):
            self._merge(self.resolve(event.merged_id), pid, event)
            return []
        if isinstance(event, SalesContactRequestedV1):
            return self._decided(pid, decide_sales(event))
        if topic_of(event) != topics.JOURNEY:
            return []  # billing's other facts (checkouts, upgrades) raise nothing
        if isinstance(event, StageSkippedV1):
            return self._decided(pid, decide(self._skips(pid), event, self.contacts.get(pid)))
        if isinstance(event, ProspectMovedManuallyV1):
            return self._decided(pid, decide_move(self._skips(pid), event))
        before = self.contacts.get(pid) or Contact(pid)
        after = note(before, event)
        if after != before or pid not in self.contacts:
            self.contacts[pid] = after
            self.changed_contacts.add(pid)
        return []

    def _skips(self, pid: str) -> list[Alert]:
        # Skips and manual moves concern skip alerts only: a sales request stays open until a
        # consultant answers it.
        return [a for a in self.open.get(pid, []) if a.kind == "skip"]

    def _decided(self, pid: str, decided: list[Event]) -> list[Event]:
        for out in decided:
            self._record(pid, out)
        return decided

    def _merge(self, gone: str, survivor: str, merge: ProspectsMergedV1) -> None:
        if gone == survivor:
            return
        merged = self.contacts.get(gone)
        self.contacts[survivor] = absorb(
            self.contacts.get(survivor) or Contact(survivor), merged, merge
        )
        self.contacts[gone] = replace(merged or Contact(gone), merged_into=survivor)
        for pid, contact in self.contacts.items():
            if contact.merged_into == gone:
                self.contacts[pid] = replace(contact, merged_into=survivor)
        self.changed_contacts |= {gone, survivor}
        moved = [replace(a, prospect_id=survivor) for a in self.open.pop(gone, [])]
        self.open.setdefault(survivor, []).extend(moved)
        self.changed_alerts.update((a.id, a) for a in moved)
        self.merges.append((gone, survivor))

    def _record(self, pid: str, event: Event) -> None:
        alerts = self.open.setdefault(pid, [])
        if isinstance(event, AlertRaisedV1 | SalesAlertRaisedV1):
            raised = evolve(None, event)
            assert raised is not None
            alerts.append(replace(raised, prospect_id=pid))
            self.changed_alerts[raised.id] = alerts[-1]
            return
        for i, alert in enumerate(alerts):
            after = evolve(alert, event)
            if after is not alert and after is not None:
                alerts[i] = after
                self.changed_alerts[after.id] = after
        self.open[pid] = [a for a in alerts if a.open]

    async def save(self, conn: AsyncConnection) -> None:
        await store.relink(conn, self.merges)
        await store.save_contacts(conn, [self.contacts[i] for i in sorted(self.changed_contacts)])
        await store.save_alerts(conn, list(self.changed_alerts.values()))


class Alerts:
    """Raises alerts from the journey's skips and billing's sales requests, resolves skip alerts
    on consultants' manual moves; applies consultants' transitions and the clock's sweeps.
    State, journal and processed event ids commit in one transaction; after each commit that
    recorded something, the relay is handed the events (it publishes them without reading the
    journal back) and `wakers` (live feeds, webhooks) are told."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        escalate_after: timedelta = timedelta(minutes=60),
        wakers: Sequence[Callable[[], None]] = (),
        relay: Relay | None = None,
    ):
        self.engine, self.escalate_after, self.wakers = engine, escalate_after, list(wakers)
        self.relay = relay
        # The consumer, the sweeper and people's commands all read, decide and write. On
        # PostgreSQL the journal lock makes that exclusive across processes; SQLite has no such
        # lock (and reads outside a write transaction), so this process takes turns itself.
        self._writing = asyncio.Lock()

    async def record_events(self, events: Sequence[Event]) -> None:
        """The journey's events and billing's requests to talk to sales, in one transaction
        with the ids already processed, so a redelivered event changes nothing."""
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            fresh = await claim(conn, store.processed, events)
            if not fresh:
                return
            work = await Workset.load(conn, fresh)
            decided = [out for event in fresh for out in work.apply(event)]
            await work.save(conn)
            appended = await append_for_relay(conn, store.journal, decided)
        self._recorded(decided, appended)

    async def acknowledge(self, alert_id: uuid.UUID, by: str, at: datetime) -> Alert:
        """Raises NotFound, or Refused when the lifecycle does not allow it."""
        return await self._transition(alert_id, lambda a: decide_acknowledge(a, by, at))

    async def action(
        self, alert_id: uuid.UUID, by: str, at: datetime, note: str | None = None
    ) -> Alert:
        """Raises NotFound, or Refused when the lifecycle does not allow it."""
        return await self._transition(alert_id, lambda a: decide_action(a, by, at, note))

    async def sweep(self, now: datetime) -> list[Event]:
        """Expire and escalate what is due at `now`; returns the events recorded."""
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            decided: list[Event] = []
            changed: list[Alert] = []
            for alert in await store.due(conn, now, self.escalate_after):
                out = decide_sweep(alert, now, self.escalate_after)
                swept = fold(alert, out)
                if out and swept is not None:
                    decided += out
                    changed.append(swept)
            await store.save_alerts(conn, changed)
            appended = await append_for_relay(conn, store.journal, decided)
        self._recorded(decided, appended)
        return decided

    async def _transition(
        self, alert_id: uuid.UUID, decision: Callable[[Alert], list[Event]]
    ) -> Alert:
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            current = await store.alert(conn, alert_id)
            if current is None:
                raise NotFound(f"no alert with id {alert_id}")
            decided = decision(current)
            after = fold(current, decided)
            assert after is not None
            await store.save_alerts(conn, [after])
            appended = await append_for_relay(conn, store.journal, decided)
        self._recorded(decided, appended)
        return after

    def _recorded(self, decided: Sequence[Event], appended: Appended | None) -> None:
        if not decided:
            return
        metrics.count(decided)
        if self.relay is not None:
            self.relay.hand_over(appended)
        for wake in self.wakers:
            wake()
