from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.content import (
    GatedContentViewedV1,
    PlaybookCopyFallbackUsedV1,
    PlaybookCopyGeneratedV1,
    PlaybookMetadataSetV1,
)
from schemas.envelope import Event
from services.common.journal import Appended, append_for_relay, lock_journal
from services.common.outbox import Relay
from services.content import metrics, store
from services.content.domain import (
    FALLBACK_VARIATION,
    Cached,
    Copy,
    Playbook,
    fallback_copy,
    fold,
    is_fresh,
    variation_id,
)
from services.content.generator import GenerationFailed, Generator
from services.content.retrieval import Library
from services.content.views import GroupWriter, write_at_once

log = logging.getLogger(__name__)
READ_TTL_S, MAX_READ = 1.0, 10_000


@dataclass(frozen=True)
class SetMetadata:
    playbook_id: str
    title: str
    tagline: str
    domain_tags: tuple[str, ...]
    tone: str
    body: str
    fallback_header: str
    fallback_paragraphs: tuple[str, ...]
    author: str


@dataclass(frozen=True)
class Shown:
    """What the gate answers: copy, its variation, and whether it is the fallback."""

    variation_id: str
    copy: Copy
    fallback: bool


def _now() -> datetime:
    return datetime.now(UTC)


class Content:
    """Playbook metadata (journaled, folded into the current metadata in the same transaction)
    and the gate: cached copy while fresh, else one generation per playbook at a time within the
    budget, else the fallback copy. Every fact goes to the journal, which the relay publishes to
    `crm.content`."""

    def __init__(
        self,
        engine: AsyncEngine,
        relay: Relay | None,
        generator: Generator,
        library: Library,
        *,
        budget_s: float,
        max_age: timedelta,
        clock: Callable[[], datetime] = _now,
    ):
        self.engine, self.relay, self.generator, self.library = engine, relay, generator, library
        self.budget_s, self.max_age, self.clock = budget_s, max_age, clock
        self._flights: dict[str, asyncio.Task[Shown]] = {}
        # SQLite has no journal lock; this process takes turns itself (PostgreSQL locks too).
        self._writing = asyncio.Lock()
        self._views = GroupWriter(self._record_views)
        # playbook id -> (when read, the playbook, its cached copy): the gate's hot path reads no
        # table. Changes made here update it at once; other instances' within READ_TTL_S.
        self._read: dict[str, tuple[float, Playbook, Cached | None]] = {}
        self._reading: dict[str, asyncio.Task[tuple[Playbook, Cached | None] | None]] = {}

    async def _record(
        self,
        events: Sequence[Event],
        playbook: Playbook | None = None,
        viewed: Sequence[GatedContentViewedV1] = (),
    ) -> None:
        """Journal the events, with the state they change, in one transaction."""
        appended: Appended | None
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            appended = await append_for_relay(conn, store.journal, events)
            if playbook is not None:
                await store.save_playbook(conn, playbook)
            await store.remember_views(conn, viewed)
        if self.relay is not None:
            self.relay.hand_over(appended)

    async def _record_views(self, viewed: Sequence[GatedContentViewedV1]) -> None:
        if self.engine.dialect.name != "postgresql":
            await self._record(viewed, viewed=viewed)
            return
        appended = await write_at_once(self.engine, store.journal, store.views, viewed)
        if self.relay is not None:
            self.relay.hand_over(appended)

    async def set_metadata(self, command: SetMetadata) -> Playbook:
        event = PlaybookMetadataSetV1(
            event_id=uuid.uuid4(),
            occurred_at=self.clock(),
            subject_id=command.playbook_id,
            playbook_id=command.playbook_id,
            title=command.title,
            tagline=command.tagline,
            domain_tags=command.domain_tags,
            tone=command.tone,
            body=command.body,
            fallback_header=command.fallback_header,
            fallback_paragraphs=command.fallback_paragraphs,
            author=command.author,
        )
        # The fold needs no earlier state: each metadata event replaces the whole metadata.
        playbook = fold(None, event)
        await self._record([event], playbook)
        self._read.pop(playbook.id, None)
        return playbook

    async def playbooks(self) -> list[Playbook]:
        async with self.engine.connect() as conn:
            return await store.all_playbooks(conn)

    async def playbook(self, playbook_id: str) -> Playbook | None:
        async with self.engine.connect() as conn:
            return await store.playbook(conn, playbook_id)

    async def forget_copy(self, playbook_id: str) -> bool:
        """False if there is no such playbook; its cached copy (if any) is gone either way."""
        async with self._writing, self.engine.begin() as conn:
            if await store.playbook(conn, playbook_id) is None:
                return False
            await store.forget_copy(conn, playbook_id)
        self._read.pop(playbook_id, None)
        return True

    async def gate(self, playbook_id: str, visitor_id: str) -> Shown | None:
        """None for an unknown playbook (and no model call)."""
        found = await self._playbook_and_copy(playbook_id)
        if found is None:
            return None
        playbook, cached = found
        if cached is not None and is_fresh(
            cached, playbook, now=self.clock(), max_age=self.max_age
        ):
            shown, source = Shown(cached.variation_id, cached.copy, False), "cache"
        else:
            shown = await self._joined_flight(playbook)
            source = "fallback" if shown.fallback else "generated"
        metrics.GATE_ANSWERS.labels(source).inc()
        viewed = GatedContentViewedV1(
            event_id=uuid.uuid4(),
            occurred_at=self.clock(),
            subject_id=visitor_id,
            playbook_id=playbook_id,
            variation_id=shown.variation_id,
            fallback=shown.fallback,
        )
        await self._views.record(viewed)
        return shown

    async def _playbook_and_copy(self, playbook_id: str) -> tuple[Playbook, Cached | None] | None:
        read = self._read.get(playbook_id)
        if read is not None and time.monotonic() - read[0] < READ_TTL_S:
            return read[1], read[2]
        # One read per playbook at a time: when the entry gets old, the requests of that moment
        # share one query instead of each taking a connection.
        reading = self._reading.get(playbook_id)
        if reading is None:
            reading = asyncio.create_task(self._read_playbook(playbook_id))
            self._reading[playbook_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(playbook_id, None))
        return await asyncio.shield(reading)

    async def _read_playbook(self, playbook_id: str) -> tuple[Playbook, Cached | None] | None:
        now = time.monotonic()
        async with self.engine.connect() as conn:
            playbook = await store.playbook(conn, playbook_id)
            cached = await store.cached_copy(conn, playbook_id) if playbook else None
        if playbook is None:
            return None  # not kept: made-up ids must not fill the memory
        if len(self._read) >= MAX_READ:
            self._read.clear()
        self._read[playbook_id] = (now, playbook, cached)
        return playbook, cached

    async def _joined_flight(self, playbook: Playbook) -> Shown:
        """Single flight: a request that finds a generation under way for this playbook waits
        for it and gets its outcome (the new copy, or the fallback if it fails); the flight is
        bounded by the budget, so a waiter waits less than the one that started it."""
        flight = self._flights.get(playbook.id)
        if flight is None:
            flight = asyncio.create_task(self._generate(playbook))
            self._flights[playbook.id] = flight
            flight.add_done_callback(lambda _: self._flights.pop(playbook.id, None))
        # Shielded: a visitor who leaves does not cancel the others' generation.
        return await asyncio.shield(flight)

    async def _generate(self, playbook: Playbook) -> Shown:
        started = time.monotonic()
        try:
            context = self.library.context(playbook)
            async with asyncio.timeout(self.budget_s):
                copy = await self.generator.write(playbook, context)
        except TimeoutError:
            failure = GenerationFailed("timeout", f"no copy within {self.budget_s:g} s")
        except GenerationFailed as exc:
            failure = exc
        except Exception as exc:  # a bug or an unforeseen failure still answers with copy
            log.exception("generating copy for playbook %s failed", playbook.id)
            failure = GenerationFailed("error", type(exc).__name__)
        else:
            metrics.GENERATION_SECONDS.observe(time.monotonic() - started)
            return await self._generated(playbook, copy)
        metrics.GENERATION_SECONDS.observe(time.monotonic() - started)
        return await self._fell_back(playbook, failure)

    async def _generated(self, playbook: Playbook, copy: Copy) -> Shown:
        variation = variation_id(playbook.id, copy)
        at = self.clock()
        generated = PlaybookCopyGeneratedV1(
            event_id=uuid.uuid4(),
            occurred_at=at,
            subject_id=playbook.id,
            playbook_id=playbook.id,
            variation_id=variation,
            header=copy.header,
            paragraphs=copy.paragraphs,
            quote=copy.quote.text if copy.quote else "",
            quote_author=copy.quote.author if copy.quote else "",
            model=self.generator.model,
        )
        cached = Cached(variation, copy, playbook.version, at)
        appended: Appended | None
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            appended = await append_for_relay(conn, store.journal, [generated])
            await store.keep_copy(conn, playbook.id, cached)
        if self.relay is not None:
            self.relay.hand_over(appended)
        self._read.pop(playbook.id, None)
        metrics.GENERATIONS.inc()
        return Shown(variation, copy, False)

    async def _fell_back(self, playbook: Playbook, failure: GenerationFailed) -> Shown:
        log.warning(
            "gate copy for playbook %s: fallback (%s: %s)",
            playbook.id,
            failure.reason,
            failure.detail,
        )
        metrics.FALLBACKS.labels(failure.reason).inc()
        used = PlaybookCopyFallbackUsedV1(
            event_id=uuid.uuid4(),
            occurred_at=self.clock(),
            subject_id=playbook.id,
            playbook_id=playbook.id,
            reason=failure.reason,
            detail=failure.detail[:500],
        )
        await self._record([used])
        return Shown(FALLBACK_VARIATION, fallback_copy(playbook), True)
