"""Replay speed of the board read model (`crm-journey replay projections`): a seeded journey
history of at least 100,000 events rebuilt into fresh tables and switched to, on real Kafka +
PostgreSQL and embedded (SQLite log + SQLite). Prints events/s; asserts only that the rebuilt
board is the projection of the whole log. Target: >= 20,000 events/s.

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
from services.projections import store, versions
from services.projections.projector import EMPTY, project
from services.projections.replay import rebuild
from tests.infra import create_database
from tests.projections.seeded import journey_log

pytestmark = pytest.mark.bench
EVENTS = int(os.environ.get("CRM_BENCH_REPLAY_EVENTS", "100000"))


def history() -> list[Event]:
    """About 14 journey events per visitor: enough visitors for EVENTS, cut there."""
    events = journey_log(seed=1, visitors=EVENTS // 12 + 1).events
    assert len(events) >= EVENTS
    return events[:EVENTS]


async def publish(transport: Transport, events: Sequence[Event]) -> None:
    await transport.start()
    try:
        for start in range(0, len(events), 5000):
            await transport.publish(events[start : start + 5000])
    finally:
        await transport.stop()


async def measure(label: str, engine: AsyncEngine, reader: LogReader, events: list[Event]) -> None:
    await migrate(engine, "projections", store.MIGRATIONS)
    tune_gc()  # as `crm-journey replay` does
    await reader.start()
    try:
        done = await rebuild(engine, reader)
    finally:
        await reader.stop()
    print(
        f"\n[bench] replay projections {label}: {done.events:,} events -> {done.prospects:,} "
        f"prospects into {done.version} in {done.seconds:.1f} s -> {done.rate:,.0f} events/s"
    )
    async with engine.connect() as conn:
        assert await versions.active_name(conn) == done.version
        rebuilt = await store.all_rows(conn, versions.board_set(done.version))
    await engine.dispose()
    assert done.events == len(events)
    assert rebuilt == dict(project(EMPTY, events).rows)


async def test_replay_speed_on_kafka_and_postgresql(
    kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    events = history()
    namespace = f"benchreplay{unique}."
    await publish(KafkaTransport(kafka_bootstrap, namespace=namespace), events)
    url = await create_database(postgres_url, f"bench_replay_{unique}")
    reader = KafkaLogReader(kafka_bootstrap, namespace + topics.JOURNEY)
    await measure("Kafka + PostgreSQL", create_engine(url), reader, events)


async def test_replay_speed_embedded(tmp_path: Path) -> None:
    events = history()
    await publish(EmbeddedLog(tmp_path / "events.db"), events)
    reader = EmbeddedLogReader(tmp_path / "events.db", topics.JOURNEY)
    engine = create_engine(f"sqlite:///{tmp_path / 'projections.db'}")
    await measure("embedded (SQLite log + SQLite)", engine, reader, events)
