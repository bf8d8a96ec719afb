"""The planning service's write side on SQLite (embedded) and PostgreSQL: it learns prospect ids
from the journey's events, journals the notes consultants write for them, and its relay
publishes them on `crm.planning`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.catalogue import parse_event
from schemas.planning import RoadmapNoteRecordedV1
from services.common.embedded_log import EmbeddedLog
from services.common.outbox import Relay
from services.planning import store
from services.planning.domain import MergedAway, UnknownProspect
from services.planning.handlers import Planning
from tests.infra import migrated_engine
from tests.planning.history import changed, created, merged, write

engine = migrated_engine("planning", store.MIGRATIONS)


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[EmbeddedLog]:
    log = EmbeddedLog(tmp_path / "events.db")
    await log.start()
    yield log
    await log.stop()


@pytest.fixture
async def planning(engine: AsyncEngine, log: EmbeddedLog) -> AsyncIterator[Planning]:
    # It never polls the journal within a test (`idle_s`): what it publishes, it was handed.
    relay = Relay(engine, store.journal, store.relay_position, log, idle_s=60)
    await relay.start()
    while relay.published is None:
        await asyncio.sleep(0.02)
    yield Planning(engine, relay)
    await relay.stop()


async def published(
    log: EmbeddedLog, count: int, timeout: float = 10
) -> list[RoadmapNoteRecordedV1]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [parse_event(r.value) for r in await log.read(topics.PLANNING)]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            assert all(isinstance(e, RoadmapNoteRecordedV1) for e in found)
            return found  # type: ignore[return-value]
        await asyncio.sleep(0.02)


async def journaled(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(store.journal))).scalar_one()
        )


async def test_a_note_for_a_prospect_the_journey_created_is_journaled_and_published(
    planning: Planning, log: EmbeddedLog
) -> None:
    await planning.record_journey_events([created("v-1"), changed("v-1")])

    note = await planning.record_note(write("v-1", "Phase 1: migrate onboarding"))

    (on_log,) = await published(log, 1)
    assert on_log == note
    assert (on_log.subject_id, on_log.text, on_log.author) == (
        "v-1",
        "Phase 1: migrate onboarding",
        "ana@example.com",
    )


async def test_a_note_for_an_unknown_id_is_refused_and_nothing_is_journaled(
    planning: Planning, engine: AsyncEngine
) -> None:
    await planning.record_journey_events([created("v-1")])

    with pytest.raises(UnknownProspect):
        await planning.record_note(write("v-l"))

    assert await journaled(engine) == 0


async def test_a_merged_away_id_is_refused_naming_its_survivor_even_when_the_merge_came_first(
    planning: Planning,
) -> None:
    # The merge is keyed by the survivor, the merged id's creation by itself: two partitions,
    # read in either order.
    await planning.record_journey_events([created("v-1"), merged("v-1", "v-2")])
    await planning.record_journey_events([created("v-2")])
    await planning.record_journey_events([created("v-3"), merged("v-3", "v-1", minute=9)])

    with pytest.raises(MergedAway, match="'v-2' was merged into 'v-3'"):
        await planning.record_note(write("v-2"))
    with pytest.raises(MergedAway, match="'v-1' was merged into 'v-3'"):
        await planning.record_note(write("v-1", command="c-2"))
    assert (await planning.record_note(write("v-3", command="c-3"))).subject_id == "v-3"


async def test_a_redelivered_batch_and_a_retried_command_record_nothing_twice(
    planning: Planning, engine: AsyncEngine, log: EmbeddedLog
) -> None:
    batch = [created("v-1"), merged("v-1", "v-2")]
    await planning.record_journey_events(batch)
    await planning.record_journey_events(batch)

    first = await planning.record_note(write("v-1", "Phase 1", command="same"))
    again = await planning.record_note(write("v-1", "Phase 1 (typed again)", command="same"))

    assert again == first
    assert await journaled(engine) == 1
    await asyncio.sleep(0.3)
    assert [e.note_id for e in await published(log, 1)] == [first.note_id]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(store.processed.c.event_id))).all()
    assert len(rows) == 2, "only the facts it learns from are claimed"
