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
from services.content.lease import GenerationLease
from services.content.read_cache import ReadCache
from services.content.retrieval import Library
from services.content.views import GroupWriter, write_at_once

log = logging.getLogger(__name__)


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
        self._lease = GenerationLease(engine)
        # SQLite has no journal lock; this process takes turns itself (PostgreSQL locks too).
        self._writing = asyncio.Lock()
        self._views = GroupWriter(self._record_views)
        self._read = ReadCache(engine)

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
        self._read.forget(playbook.id)
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
        self._read.forget(playbook_id)
        return True

    async def gate(self, playbook_id: str, visitor_id: str) -> Shown | None:
        """None for an unknown playbook (and no model call)."""
        found = await self._read.get(playbook_id)
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
        async with self._lease.hold(playbook.id) as mine:
            if not mine:
                return await self._generated_elsewhere(playbook)
            # Another instance may have stored copy since this request read the cache.
            found = await self._fresh(playbook)
            if found is not None:
                return found
            return await self._generate_here(playbook)

    async def _fresh(self, playbook: Playbook) -> Shown | None:
        async with self.engine.connect() as conn:
            cached = await store.cached_copy(conn, playbook.id)
        if cached is None or not is_fresh(cached, playbook, now=self.clock(), max_age=self.max_age):
            return None
        self._read.forget(playbook.id)
        return Shown(cached.variation_id, cached.copy, False)

    async def _generated_elsewhere(self, playbook: Playbook) -> Shown:
        """Another instance is asking the model: the copy it stores within the budget; else
        the fallback copy, recording nothing (that instance records its outcome)."""
        found = await self._lease.wait(playbook.id, lambda: self._fresh(playbook), self.budget_s)
        if found is not None:
            return found
        metrics.FALLBACKS_WAITING.inc()
        return Shown(FALLBACK_VARIATION, fallback_copy(playbook), True)

    async def _generate_here(self, playbook: Playbook) -> Shown:
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
        self._read.forget(playbook.id)
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
