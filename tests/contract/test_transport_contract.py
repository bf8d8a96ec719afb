"""One contract, two event logs: the embedded SQLite log and real Kafka must behave alike."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from schemas import topics
from schemas.envelope import Event
from schemas.journey import PointsAwardedV1
from services.common.db import create_engine, mark_processed, processed_events_table, unprocessed
from services.common.transport import Outgoing, Subscription, Transport
from tests.contract.logs import Collector, LogUnderTest, clicks, embedded_path

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["embedded", "kafka"])
def log(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> LogUnderTest:
    if request.param == "embedded":
        return LogUnderTest("embedded", embedded_path(tmp_path), "")
    return LogUnderTest("kafka", request.getfixturevalue("kafka_bootstrap"), f"t{unique}.")


@asynccontextmanager
async def running(log: LogUnderTest, *subs: Subscription) -> AsyncIterator[Transport]:
    transport = log.transport()
    for sub in subs:
        transport.subscribe(sub)
    await transport.start()
    try:
        yield transport
    finally:
        await transport.stop()


async def publish(log: LogUnderTest, events: Sequence[Event]) -> None:
    async with running(log) as transport:
        await transport.publish(events)


async def test_each_keys_events_arrive_in_the_order_they_were_published(log: LogUnderTest) -> None:
    per_key = {f"v-{k}": clicks(f"v-{k}", 20, start=100 * k) for k in range(8)}
    interleaved = [per_key[f"v-{k}"][i] for i in range(20) for k in range(8)]
    await publish(log, interleaved[:80])
    await publish(log, interleaved[80:])

    got = Collector()
    async with running(log, Subscription("order", (topics.WEB,), got)):
        await got.wait_for(160)

    for key, sent in per_key.items():
        assert [e.event_id for e in got.events if e.subject_id == key] == [e.event_id for e in sent]
    assert max(got.batch_sizes) > 1, "handlers must be able to take a batch"


async def test_a_consumer_killed_before_committing_gets_the_event_again(
    log: LogUnderTest, tmp_path: Path
) -> None:
    event = clicks("v-crash", 1)[0]
    await publish(log, [event])
    seen = tmp_path / "seen.txt"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.contract.crashing_consumer",
            log.kind,
            log.address,
            log.namespace,
            "crashy",
            str(seen),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(60):
            while not (seen.exists() and str(event.event_id) in seen.read_text()):
                assert child.poll() is None, "the crashing consumer exited on its own"
                await asyncio.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    got = Collector()
    async with running(log, Subscription("crashy", (topics.WEB,), got)):
        await got.wait_for(1, timeout=60)
    assert got.ids() == [event.event_id]


async def test_committed_offsets_survive_a_restart(log: LogUnderTest) -> None:
    first, second = clicks("v-restart", 5), clicks("v-restart", 5, start=5)
    await publish(log, first)
    before = Collector()
    async with running(log, Subscription("restart", (topics.WEB,), before)):
        await before.wait_for(5)
        await asyncio.sleep(0.3)

    await publish(log, second)
    after = Collector()
    async with running(log, Subscription("restart", (topics.WEB,), after)):
        await after.wait_for(5)
        await asyncio.sleep(1.0)
    assert after.ids() == [e.event_id for e in second]


async def test_a_new_group_replays_the_log_from_the_earliest_event(log: LogUnderTest) -> None:
    history = clicks("v-replay", 12)
    await publish(log, history)
    first = Collector()
    async with running(log, Subscription("live", (topics.WEB,), first)):
        await first.wait_for(12)

    replay = Collector()
    async with running(log, Subscription("replay", (topics.WEB,), replay)):
        await replay.wait_for(12)
    assert replay.ids() == [e.event_id for e in history]


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_rest_keeps_flowing(
    log: LogUnderTest,
) -> None:
    before, cursed, after = clicks("v-dlq", 3)
    await publish(log, [before])
    nul = json.loads(before.model_dump_json())
    nul |= {"event_id": str(uuid.uuid4()), "cta": nul["cta"] | {"label": "a\x00b"}}
    misrouted = PointsAwardedV1(
        event_id=uuid.uuid4(),
        occurred_at=before.occurred_at,
        subject_id="v-dlq",
        click_event_id=before.event_id,
        cta=before.cta,
        stage_before=1,
        gap=0,
        multiplier=1,
        points=5,
        total_points=5,
    ).model_dump_json()
    bad = [b"{not json", json.dumps(nul).encode(), misrouted.encode()]
    async with running(log) as transport:
        await transport.publish_raw([Outgoing(topics.WEB, b"v-dlq", b, ()) for b in bad])
    await publish(log, [cursed, after])

    got = Collector()

    async def handler(events: Sequence[Event]) -> None:
        if any(e.event_id == cursed.event_id for e in events):
            raise ValueError("this click breaks the handler")
        await got(events)

    async with running(log, Subscription("dlq", (topics.WEB,), handler, retry_backoff_s=0.01)):
        await got.wait_for(2)
        async with asyncio.timeout(30):
            while len(dead := await log.read(topics.dead_letter("dlq"))) < 4:
                await asyncio.sleep(0.1)
    assert got.ids() == [before.event_id, after.event_id]
    assert sorted(r.value for r in dead) == sorted([*bad, cursed.model_dump_json().encode()])
    errors = {r.value: dict(r.headers)["x-error-type"] for r in dead}
    assert set(errors.values()) == {b"InvalidEvent", b"ValueError"}
    assert errors[cursed.model_dump_json().encode()] == b"ValueError"
    why = {r.value: dict(r.headers)["x-error"].decode() for r in dead}
    assert "cta.label: must not contain U+0000 (NUL)" in why[bad[1]]
    assert "points.awarded.v1 belongs on crm.journey" in why[bad[2]]
    assert all(dict(r.headers)["x-source-topic"] == topics.WEB.encode() for r in dead)


async def test_a_duplicate_event_id_is_applied_once_by_an_idempotent_handler(
    log: LogUnderTest, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'effects.db'}")
    metadata = MetaData()
    ledger = processed_events_table(metadata, "contract")
    effects = Table(
        "effects", metadata, Column("n", Integer, primary_key=True), Column("event_id", String(36))
    )
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def apply_once(events: Sequence[Event]) -> None:
        async with engine.begin() as conn:
            fresh = await unprocessed(conn, ledger, events)
            for e in fresh:
                await conn.execute(insert(effects).values(event_id=str(e.event_id)))
            await mark_processed(conn, ledger, [e.event_id for e in fresh])
        await got(events)

    event = clicks("v-dup", 1)[0]
    got = Collector()
    await publish(log, [event, event])
    await publish(log, [event])
    async with running(log, Subscription("dedup", (topics.WEB,), apply_once)):
        await got.wait_for(3)

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(effects.c.event_id, func.count()).group_by(effects.c.event_id)
            )
        ).all()
    await engine.dispose()
    assert rows == [(str(event.event_id), 1)]
    assert uuid.UUID(rows[0][0]) == event.event_id
