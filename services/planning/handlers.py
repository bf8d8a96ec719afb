from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from schemas.planning import RoadmapNoteRecordedV1
from services.common.db import claim
from services.common.idempotency import record_command, seen_command
from services.common.journal import append_for_relay, lock_journal
from services.common.outbox import Relay
from services.planning import metrics, store
from services.planning.domain import (
    LEARNED_FROM,
    MergedAway,
    Refused,
    WriteNote,
    decide_note,
    learn,
    note_event_id,
)


class Planning:
    """Learns which prospect ids exist from the journey's events (the ids and the processed
    event ids commit in one transaction), and records consultants' roadmap notes for them in its
    journal, which its relay publishes to `crm.planning` once committed."""

    def __init__(self, engine: AsyncEngine, relay: Relay | None = None):
        self.engine, self.relay = engine, relay
        # On PostgreSQL the journal lock makes a note's check-and-append exclusive; SQLite has
        # no such lock, so this process takes turns itself.
        self._writing = asyncio.Lock()

    async def record_journey_events(self, events: Sequence[Event]) -> None:
        relevant = [e for e in events if isinstance(e, LEARNED_FROM)]
        if not relevant:
            return
        async with self.engine.begin() as conn:
            fresh = await claim(conn, store.processed, relevant)
            await store.save(conn, learn(fresh))

    async def record_note(
        self, command: WriteNote, fingerprint: str | None = None
    ) -> RoadmapNoteRecordedV1:
        """Raises UnknownProspect or MergedAway. The same command (its id) retried records the
        note once and answers with it; with a `fingerprint` (of the request under an idempotency
        key), a retry with another body raises KeyReused."""
        try:
            async with self._writing, self.engine.begin() as conn:
                await lock_journal(conn, store.journal)
                if fingerprint is not None:
                    await seen_command(conn, store.commands, command.command_id, fingerprint)
                done = await store.recorded_note(conn, note_event_id(command.command_id))
                if done is not None:
                    return done
                event = decide_note(await store.prospect(conn, command.prospect_id), command)
                if fingerprint is not None:
                    await record_command(conn, store.commands, command.command_id, fingerprint)
                appended = await append_for_relay(conn, store.journal, [event])
        except Refused as exc:
            metrics.REFUSED.labels("merged" if isinstance(exc, MergedAway) else "unknown").inc()
            raise
        metrics.NOTES.inc()
        if self.relay is not None:
            self.relay.hand_over(appended)
        return event
