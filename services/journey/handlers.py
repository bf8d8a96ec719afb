from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.envelope import Event
from schemas.journey import ProspectsMergedV1
from services.common.db import mark_processed, unprocessed
from services.common.outbox import Relay, append, lock_journal
from services.journey import metrics, store
from services.journey.domain import (
    MoveStage,
    Prospect,
    decide,
    decide_move,
    evolve,
    fold,
    moved_event_id,
)
from services.journey.rules import Rules


@dataclass
class Workset:
    """The prospects one batch touches, loaded once, changed in memory, saved once."""

    state: dict[str, Prospect]
    existing: set[str]
    alias: dict[str, str]
    emails: dict[str, str]
    merged: dict[str, str] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    @classmethod
    async def load(cls, conn: AsyncConnection, events: Sequence[Event]) -> Workset:
        alias = await store.resolve(conn, {e.subject_id for e in events})
        state = await store.load(conn, {alias.get(e.subject_id, e.subject_id) for e in events})
        wanted = {email for e in events if (email := getattr(e, "email", None))}
        for p in (await store.by_email(conn, wanted)).values():
            state.setdefault(p.id, p)
        emails: dict[str, str] = {}
        for p in sorted(state.values(), key=lambda p: (p.created_at, p.id), reverse=True):
            if p.email:
                emails[p.email] = p.id
        return cls(state, set(state), alias, emails)

    def apply(self, event: Event, rules: Rules) -> list[Event]:
        pid = self.alias.get(event.subject_id, event.subject_id)
        email = getattr(event, "email", None)
        other_id = self.emails.get(email) if email else None
        other = self.state.get(other_id) if other_id and other_id != pid else None
        decided = decide(self.state.get(pid), event, rules, same_email=other)
        for out in decided:
            if isinstance(out, ProspectsMergedV1):
                self._fold_away(out.merged_id, out.subject_id)
            before = self.state.get(out.subject_id)
            after = evolve(before, out)
            if after is None:
                continue
            self.state[after.id] = after
            self.changed.add(after.id)
            if before is not None and before.email and before.email != after.email:
                self.emails.pop(before.email, None)
            if after.email:
                self.emails[after.email] = after.id
        return decided

    def _fold_away(self, gone: str, survivor: str) -> None:
        self.state.pop(gone, None)
        self.changed.discard(gone)
        self.merged[gone] = survivor
        for table in (self.merged, self.alias):
            for key, value in list(table.items()):
                if value == gone:
                    table[key] = survivor
        self.alias[gone] = survivor

    async def save(self, conn: AsyncConnection) -> None:
        changed = [self.state[i] for i in sorted(self.changed)]
        await store.save(conn, changed, self.existing, self.merged)


class Journey:
    """Applies website events and consultants' commands to prospects. State, journal and the
    processed event ids commit in one transaction; the relay then publishes the journal."""

    def __init__(self, engine: AsyncEngine, rules: Rules, relay: Relay | None = None):
        self.engine, self.rules, self.relay = engine, rules, relay

    async def record_web_events(self, events: Sequence[Event]) -> None:
        async with self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            fresh = await unprocessed(conn, store.processed, events)
            if not fresh:
                return
            work = await Workset.load(conn, fresh)
            decided = [out for event in fresh for out in work.apply(event, self.rules)]
            await work.save(conn)
            await append(conn, store.journal, decided)
            await mark_processed(conn, store.processed, [e.event_id for e in fresh])
        metrics.count(decided)
        self._wake()

    async def move(self, move: MoveStage) -> Prospect:
        """A consultant's manual move; raises Refused when the rules do not allow it."""
        async with self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            pid = (await store.resolve(conn, [move.prospect_id])).get(
                move.prospect_id, move.prospect_id
            )
            current = (await store.load(conn, [pid])).get(pid)
            if current is not None and await store.journaled(conn, moved_event_id(move)):
                return current  # the same command retried: already applied
            decided = decide_move(current, replace(move, prospect_id=pid), self.rules)
            moved = fold(current, decided)
            assert moved is not None
            await store.save(conn, [moved], {pid}, {})
            await append(conn, store.journal, decided)
        metrics.count(decided)
        self._wake()
        return moved

    async def import_prospects(self, rows: Sequence[Event]) -> list[str]:
        """Apply imported contacts in one transaction; returns the ids of the skipped ones
        (already known by id or email)."""
        decided: list[Event] = []
        skipped: list[str] = []
        async with self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            work = await Workset.load(conn, rows)
            for row in rows:
                out = work.apply(row, self.rules)
                decided += out
                if not out:
                    skipped.append(row.subject_id)
            await work.save(conn)
            await append(conn, store.journal, decided)
        metrics.count(decided)
        self._wake()
        return skipped

    def _wake(self) -> None:
        if self.relay is not None:
            self.relay.wake()
