"""Reads what a rescore needs (the website's events from the log, the journey's journal and
prospects), reports the what-if, and applies it as journal events in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.catalogue import parse_event
from schemas.envelope import Event
from services.common.journal import append, lock_journal
from services.journey.commands.rescore import (
    Report,
    apply_to,
    compare,
    history,
    replay,
    rescore_id,
    rescored,
)
from services.journey.domain.rules import Rules
from services.journey.domain.state import Prospect
from services.journey.tables import prospects as store

# Every website event on the log, from its start to its end now.
ReadWeb = Callable[[], Awaitable[Sequence[Event]]]


class RescoreError(RuntimeError):
    """The rescore cannot be computed faithfully; the message says why."""


@dataclass(frozen=True)
class Outcome:
    report: Report
    applied: int  # events appended to the journal (0 for a what-if)


async def what_if(engine: AsyncEngine, read_web: ReadWeb, rules: Rules) -> Report:
    async with engine.connect() as conn:
        report, _, _ = await _rescore(conn, read_web, rules)
    return report


async def apply(
    engine: AsyncEngine, read_web: ReadWeb, rules: Rules, rules_label: str, operator: str
) -> Outcome:
    """Recompute under the journal's lock (the journey service waits meanwhile, so nothing it
    processes is missed or counted twice) and append the rescore's events with the new state."""
    async with engine.begin() as conn:
        await lock_journal(conn, store.journal)
        report, replayed, current = await _rescore(conn, read_web, rules)
        if not report.changes:
            return Outcome(report, 0)
        generation = await store.current_generation(conn)
        events = rescored(
            report,
            replayed,
            rescore=rescore_id(rules_label, generation),
            rules_label=rules_label,
            operator=operator,
            at=datetime.now(UTC),
        )
        await store.save(conn, apply_to(current, events), set(current), {})
        await append(conn, store.journal, events)
        await store.bump_generation(conn)
    return Outcome(report, len(events))


async def _rescore(
    conn: AsyncConnection, read_web: ReadWeb, rules: Rules
) -> tuple[Report, dict[str, Prospect], dict[str, Prospect]]:
    processed = {r[0] for r in await conn.execute(select(store.processed.c.event_id))}
    web = await _processed_web(read_web, processed)
    journal = [
        parse_event(r.payload)
        for r in await conn.execute(select(store.journal.c.payload).order_by(store.journal.c.seq))
    ]
    current = {
        p.id: p
        for p in (
            store.STATE.validate_json(r.state)
            for r in await conn.execute(select(store.prospects.c.state))
        )
    }
    replayed = replay(history(web, journal), rules)
    return compare(current, replayed), replayed, current


async def _processed_web(read_web: ReadWeb, processed: set[str]) -> list[Event]:
    """The website's events the journey has applied, each once, in log order. The journey can
    only have applied what the log holds: one more read catches what arrived meanwhile."""
    for _ in range(2):
        seen: set[str] = set()
        kept: list[Event] = []
        for event in await read_web():
            key = str(event.event_id)
            if key in processed and key not in seen:
                seen.add(key)
                kept.append(event)
        if len(seen) == len(processed):
            return kept
    missing = len(processed) - len(seen)
    raise RescoreError(
        f"the journey has applied {missing} website events the log no longer holds "
        "(was the web topic's retention shortened?): a rescore would lose them"
    )
