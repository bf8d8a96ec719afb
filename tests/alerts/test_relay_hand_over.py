"""The alerts service hands what it just committed to its relay, which publishes it without
reading the journal back, on SQLite (embedded) and PostgreSQL. The relay here never polls the
journal (`idle_s` of a minute): only a hand-over can publish within the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.alerts import AlertRaisedV1
from schemas.catalogue import parse_event
from services.alerts import store
from services.alerts.handlers import Alerts
from services.common.embedded_log import EmbeddedLog
from services.common.outbox import Relay
from tests.alerts.history import at, skip
from tests.infra import migrated_engine

engine = migrated_engine("alerts", store.MIGRATIONS)


@pytest.fixture
async def relay(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[tuple[Relay, EmbeddedLog]]:
    log = EmbeddedLog(tmp_path / "events.db")
    await log.start()
    relay = Relay(engine, store.journal, store.relay_position, log, idle_s=60)
    await relay.start()
    await until(lambda: _true(relay.published is not None))
    yield relay, log
    await relay.stop()
    await log.stop()


async def _true(value: bool) -> bool:
    return value


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def published_types(log: EmbeddedLog) -> list[str]:
    return [parse_event(r.value).type for r in await log.read(topics.ALERTS)]


async def test_raised_acknowledged_and_swept_alerts_reach_the_log_without_a_journal_read(
    engine: AsyncEngine, relay: tuple[Relay, EmbeddedLog]
) -> None:
    the_relay, log = relay
    alerts = Alerts(engine, escalate_after=timedelta(minutes=30), relay=the_relay)

    await alerts.record_events([skip(2, 4, at(0)), skip(1, 6, at(0), v="v-2")])
    await until(lambda: _count(log, 2))
    first = parse_event((await log.read(topics.ALERTS))[0].value)
    assert isinstance(first, AlertRaisedV1)
    await alerts.acknowledge(first.alert_id, "ana", at(1))
    await until(lambda: _count(log, 3))
    swept = await alerts.sweep(at(days=8))
    await until(lambda: _count(log, 3 + len(swept)))

    assert [e.type for e in swept] == ["alert.expired.v1"]  # the unacknowledged one
    assert await published_types(log) == [
        "alert.raised.v1",
        "alert.raised.v1",
        "alert.acknowledged.v1",
        *(e.type for e in swept),
    ]


async def _count(log: EmbeddedLog, n: int) -> bool:
    return len(await log.read(topics.ALERTS)) >= n
