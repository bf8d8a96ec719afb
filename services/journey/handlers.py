from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.envelope import Event
from services.common.db import AlreadyApplied, InOrder, claim, claim_all
from services.common.idempotency import record_command, seen_command
from services.common.journal import (
    Appended,
    Entries,
    append_for_relay,
    appended,
    entries,
    lock_journal,
    write,
)
from services.common.outbox import Relay
from services.common.transport import Outgoing
from services.journey import metrics
from services.journey.domain.decisions import decide_move, moved_event_id
from services.journey.domain.rules import Rules
from services.journey.domain.state import MoveStage, Prospect, fold
from services.journey.tables import prospects as store
from services.journey.tables.workset import Cache, Workset

T = TypeVar("T")
# A batch is written in parts of PART events or prospects, and Python yields to the writes in
# flight every FEW (a write progresses only while the event loop runs).
PART, FEW = 500, 25


class Journey:
    """Applies website events and consultants' commands to prospects. State, journal and the
    processed event ids commit in one transaction; the relay then publishes the journal."""

    def __init__(
        self,
        engine: AsyncEngine,
        rules: Rules,
        relay: Relay | None = None,
        cache_size: int = 100_000,
    ):
        self.engine, self.rules, self.relay = engine, rules, relay
        self.cache = Cache(cache_size)

    async def record_web_events(self, events: Sequence[Event]) -> None:
        # A batch is decided while the database marks it processed; if some of it was applied
        # before (a redelivery) or repeats an event, that is rolled back and the batch goes
        # again, claimed first. (Waiting for the claim cost a tenth of a batch's time.)
        try:
            try:
                outcome = await self._record(events, optimistic=True)
            except AlreadyApplied:
                outcome = await self._record(events, optimistic=False)
        except BaseException:
            self.cache.forget()
            raise
        if outcome is not None:
            written, work, decided, done = outcome
            self.cache.keep(written, work)
            metrics.count(decided)
            self._hand_over(done)

    async def _record(
        self, events: Sequence[Event], *, optimistic: bool
    ) -> tuple[int, Workset, list[Event], Appended | None] | None:
        async with self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            fresh = list(events) if optimistic else await claim(conn, store.processed, events)
            if not fresh:
                return None
            if await store.current_generation(conn) != self.cache.generation:
                self.cache.forget()
            work = await Workset.load(conn, fresh, self.cache)
            decided, done = await self._decide_and_save(conn, work, fresh, claiming=optimistic)
            return await store.bump_generation(conn), work, decided, done

    async def move(self, move: MoveStage, fingerprint: str | None = None) -> Prospect:
        """A consultant's manual move; raises Refused when the rules do not allow it. With a
        `fingerprint` (of the request under an idempotency key) a retry of the same request is
        answered with the prospect as it is, and one with another body raises KeyReused."""
        async with self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            pid = (await store.resolve(conn, [move.prospect_id])).get(
                move.prospect_id, move.prospect_id
            )
            current = (await store.load(conn, [pid])).get(pid)
            if fingerprint is not None and await seen_command(
                conn, store.commands, move.command_id, fingerprint
            ):
                assert current is not None  # prospects are never deleted
                return current
            # Moves recorded before fingerprints were kept are recognised by their event id.
            if current is not None and await store.journaled(conn, moved_event_id(move)):
                return current
            decided = decide_move(current, replace(move, prospect_id=pid), self.rules)
            moved = fold(current, decided)
            assert moved is not None
            await store.save(conn, [moved], {pid}, {})
            if fingerprint is not None:
                await record_command(conn, store.commands, move.command_id, fingerprint)
            appended = await append_for_relay(conn, store.journal, decided)
            await store.bump_generation(conn)
        metrics.count(decided)
        self._hand_over(appended)
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
            appended = await append_for_relay(conn, store.journal, decided)
            await store.bump_generation(conn)
        metrics.count(decided)
        self._hand_over(appended)
        return skipped

    async def _decide_and_save(
        self, conn: AsyncConnection, work: Workset, fresh: list[Event], *, claiming: bool
    ) -> tuple[list[Event], Appended | None]:
        """Decide, journal and save a batch in parts, the database writing one part while Python
        decides or serializes the next (it waited for each write in turn: a third of a batch's
        time). Every write is in the caller's transaction: nothing commits before all of it.
        `claiming`: the batch is claimed (`claim_all`) first of the writes."""
        writes = InOrder()
        decided: list[Event] = []
        messages: list[Outgoing] = []
        try:
            if claiming:
                writes.then(functools.partial(claim_all, conn, store.processed, fresh))
            for part in _parts(fresh, PART):
                written = Entries([], [])
                for few in _parts(part, FEW):
                    out = [o for event in few for o in work.apply(event, self.rules)]
                    more = entries(out)
                    written.rows.extend(more.rows)
                    written.messages.extend(more.messages)
                    decided += out
                    await asyncio.sleep(0)  # the writes in flight go on
                messages += written.messages
                writes.then(functools.partial(write, conn, store.journal, written))
            for ids_part in _parts(sorted(work.changed), PART):
                rows = []
                for few_ids in _parts(ids_part, FEW):
                    rows += store.rows([work.state[i] for i in few_ids])
                    await asyncio.sleep(0)
                writes.then(functools.partial(store.write, conn, rows, work.existing))
            writes.then(functools.partial(store.fold_away, conn, work.merged))
            await writes.finish()
        except BaseException as exc:
            failed = await writes.settle()
            if isinstance(failed, AlreadyApplied) and isinstance(exc, Exception):
                # Deciding again what was applied before may fail where the first time did not:
                # the batch goes again, claimed first, instead of failing on it.
                raise AlreadyApplied from None
            raise
        return decided, await appended(conn, store.journal, messages)

    def _hand_over(self, appended: Appended | None) -> None:
        if self.relay is not None:
            self.relay.hand_over(appended)


def _parts(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
