"""Clicks processed per second by one journey instance: real Kafka + PostgreSQL, and embedded
(SQLite log + SQLite), from the first click consumed to the last derived event published.
Prints figures; asserts only that every click was processed once.

    make bench                       # or: pytest tests/bench -m bench -s
    CRM_BENCH_CLICKS=200000 make bench
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.envelope import Event
from schemas.web import CtaClickedV1
from services.common.app import tune_gc
from services.common.db import create_engine, migrate
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from services.common.outbox import Relay
from services.common.transport import Subscription, Transport
from services.journey.domain.rules import DEFAULT_RULES
from services.journey.handlers import Journey
from services.journey.settings import JourneySettings
from services.journey.tables import prospects as store
from tests.infra import create_database

pytestmark = pytest.mark.bench
CLICKS = int(os.environ.get("CRM_BENCH_CLICKS", "100000"))
PROSPECTS = max(1, CLICKS // 10)
BATCH = int(os.environ.get("CRM_BENCH_BATCH", JourneySettings().batch_size))  # the product's
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def clicks() -> list[CtaClickedV1]:
    return [
        CtaClickedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0 + timedelta(seconds=i),
            subject_id=f"v-{i % PROSPECTS}",
            cta={
                "id": f"cta-{i % 13}",
                "label": "Read the guide",
                "stage": 1 + i % 6,
                "points": 1 + i % 50,
            },
            page="https://example.com/guides",
            utm={"source": "google", "medium": "cpc", "campaign": "q4"},
        )
        for i in range(CLICKS)
    ]


async def processed(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(store.processed))).scalar_one()
        )


async def journal_end(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.max(store.journal.c.seq)))).scalar_one())


async def measure(
    label: str, make_transport: Callable[[], Transport], engine: AsyncEngine, batch: int
) -> float:
    events = clicks()
    producer = make_transport()
    await producer.start()
    t = time.perf_counter()
    for start in range(0, len(events), 5000):
        await producer.publish(events[start : start + 5000])
    publish_s = time.perf_counter() - t
    await producer.stop()
    del events
    tune_gc()  # as `crm-journey serve` does

    await migrate(engine, "journey", store.MIGRATIONS)
    transport = make_transport()
    relay = Relay(engine, store.journal, store.relay_position, transport)
    journey = Journey(engine, DEFAULT_RULES, relay)
    committed = asyncio.Event()
    handed = 0

    async def record(batch: Sequence[Event]) -> None:
        # Counted once the handler returned, i.e. committed; no counting query loads the database
        # while it is measured (a redelivery would count twice: `processed` checks at the end).
        nonlocal handed
        await journey.record_web_events(batch)
        handed += len(batch)
        if handed >= CLICKS:
            committed.set()

    transport.subscribe(Subscription("journey", (topics.WEB,), record, max_batch=batch))
    started, cpu = time.perf_counter(), time.process_time()
    await transport.start()
    await relay.start()
    await committed.wait()
    while (done := await processed(engine)) < CLICKS:
        await asyncio.sleep(0.2)
    state_s = time.perf_counter() - started
    # End to end: the derived events are on Kafka too, not only the state committed.
    end = await journal_end(engine)
    while (relay.published or 0) < end:
        await asyncio.sleep(0.01)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await relay.stop()
    await transport.stop()
    await engine.dispose()
    rate = CLICKS / elapsed
    print(
        f"\n[bench] journey {label}: {CLICKS} clicks over {PROSPECTS} prospects, batch {batch}: "
        f"{elapsed:.1f} s -> {rate:,.0f} clicks/s "
        f"(state committed after {state_s:.1f} s, {end} derived events published, "
        f"{cpu:.1f} s CPU in this process; "
        f"publishing the input ran at {CLICKS / publish_s:,.0f}/s)"
    )
    assert done == CLICKS
    return rate


async def test_journey_throughput_on_kafka_and_postgresql(
    kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    url = await create_database(postgres_url, f"bench_{unique}")
    await measure(
        "Kafka + PostgreSQL",
        lambda: KafkaTransport(kafka_bootstrap, namespace=f"bench{unique}."),
        create_engine(url),
        batch=BATCH,
    )


async def test_journey_throughput_embedded(tmp_path: Path) -> None:
    await measure(
        "embedded (SQLite log + SQLite)",
        lambda: EmbeddedLog(tmp_path / "events.db"),
        create_engine(f"sqlite:///{tmp_path / 'journey.db'}"),
        batch=BATCH,
    )
