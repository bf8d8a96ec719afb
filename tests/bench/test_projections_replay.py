"""Replay speed of the read models (`crm-journey replay projections`): a seeded journey history
of at least 100,000 events, and its prospects' alerts, upgrades, playbook visits and notes,
rebuilt into a fresh version and switched to, on real Kafka + PostgreSQL and embedded (SQLite
log + SQLite). Prints events/s; asserts only that every rebuilt read model is the projection of
the whole log. Target: >= 20,000 events/s.

    make bench                                   # or: pytest tests/bench -m bench -s
    CRM_BENCH_REPLAY_EVENTS=300000 pytest tests/bench/test_projections_replay.py -m bench -s
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.envelope import Event
from services.common.app import tune_gc
from services.common.db import create_engine, migrate
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from services.common.log_reader import EmbeddedLogReader, KafkaLogReader, LogReader
from services.common.transport import Transport
from services.projections.models.board import EMPTY, project
from services.projections.replay.rebuild import rebuild
from services.projections.tables import board as board_store
from services.projections.tables import versions
from tests.infra import create_database
from tests.projections.replayed_models import expected_models, stored_models
from tests.projections.seeded import journey_log
from tests.projections.seeded_others import other_events

pytestmark = pytest.mark.bench
EVENTS = int(os.environ.get("CRM_BENCH_REPLAY_EVENTS", "100000"))
OTHER_TOPICS = (topics.ALERTS, topics.BILLING, topics.CONTENT, topics.PLANNING)


def history() -> list[Event]:
    """About 14 journey events per visitor: enough visitors for EVENTS, cut there."""
    events = journey_log(seed=1, visitors=EVENTS // 12 + 1).events
    assert len(events) >= EVENTS
    return events[:EVENTS]


def others_of(journey: list[Event]) -> list[Event]:
    """The board's prospects' alerts, upgrades, playbook visits and notes."""
    return other_events(1, sorted(project(EMPTY, journey).rows))


async def publish(transport: Transport, events: Sequence[Event]) -> None:
    await transport.start()
    try:
        for start in range(0, len(events), 5000):
            await transport.publish(events[start : start + 5000])
    finally:
        await transport.stop()


async def measure(
    label: str,
    engine: AsyncEngine,
    readers: dict[str, LogReader],
    events: list[Event],
    others: list[Event],
) -> None:
    await migrate(engine, "projections", board_store.MIGRATIONS)
    tune_gc()  # as `crm-journey replay` does
    journey = readers.pop(topics.JOURNEY)
    try:
        for reader in [journey, *readers.values()]:
            await reader.start()
        done = await rebuild(engine, journey, others=readers)
    finally:
        for reader in [journey, *readers.values()]:
            await reader.stop()
    print(
        f"\n[bench] replay projections {label}: {done.events:,} events ({len(others):,} of them "
        f"alerts, billing, content, planning) -> {done.prospects:,} prospects into "
        f"{done.version} in {done.seconds:.1f} s -> {done.rate:,.0f} events/s"
    )
    async with engine.connect() as conn:
        assert await versions.active_name(conn) == done.version
        rebuilt = await board_store.all_rows(conn, versions.board_set(done.version))
    models = await stored_models(engine, done.version)
    await engine.dispose()
    assert done.events == len(events) + len(others)
    assert rebuilt == dict(project(EMPTY, events).rows)
    assert models == expected_models(others)


async def test_replay_speed_on_kafka_and_postgresql(
    kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    events = history()
    others = others_of(events)
    namespace = f"benchreplay{unique}."
    await publish(KafkaTransport(kafka_bootstrap, namespace=namespace), [*events, *others])
    url = await create_database(postgres_url, f"bench_replay_{unique}")
    readers: dict[str, LogReader] = {
        topic: KafkaLogReader(kafka_bootstrap, namespace + topic)
        for topic in (topics.JOURNEY, *OTHER_TOPICS)
    }
    await measure("Kafka + PostgreSQL", create_engine(url), readers, events, others)


async def test_replay_speed_embedded(tmp_path: Path) -> None:
    events = history()
    others = others_of(events)
    await publish(EmbeddedLog(tmp_path / "events.db"), [*events, *others])
    readers: dict[str, LogReader] = {
        topic: EmbeddedLogReader(tmp_path / "events.db", topic)
        for topic in (topics.JOURNEY, *OTHER_TOPICS)
    }
    engine = create_engine(f"sqlite:///{tmp_path / 'projections.db'}")
    await measure("embedded (SQLite log + SQLite)", engine, readers, events, others)
