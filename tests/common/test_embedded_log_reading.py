"""The embedded log reads SQLite only when it may find records: woken by this process's publish
to a topic the group reads, or once a poll interval for what another process appended. The
second must hold even while the group is kept busy by this process's publishes to its other
topic (it would wait for ever if the log trusted only the end it appended to)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path

from schemas import topics
from schemas.journey import ProspectCreatedV1
from services.common.embedded_log import EmbeddedLog
from services.common.transport import Subscription
from tests.contract.logs import T0, Collector, clicks


def created(subject: str) -> ProspectCreatedV1:
    return ProspectCreatedV1(event_id=uuid.uuid4(), occurred_at=T0, subject_id=subject, stage=1)


async def test_another_process_append_is_read_while_this_process_keeps_publishing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    seen = Collector()
    log = EmbeddedLog(path, poll_interval_s=0.2)
    log.subscribe(Subscription("both", (topics.WEB, topics.JOURNEY), seen))
    await log.start()
    other = EmbeddedLog(path)
    await other.start()
    busy: asyncio.Task[None] | None = None
    try:
        await log.publish([created("p-own")])  # this process now knows the journey topic's end
        await seen.wait_for(1, timeout=10)

        async def keep_publishing() -> None:
            for i in range(10_000):
                await log.publish(clicks("v-busy", 1, start=i))
                await asyncio.sleep(0.02)

        busy = asyncio.create_task(keep_publishing())
        await asyncio.sleep(0.3)
        appended = created("p-other")
        await other.publish([appended])
        async with asyncio.timeout(5):
            while appended.event_id not in seen.ids():
                await asyncio.sleep(0.05)
    finally:
        if busy is not None:
            busy.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await busy
        await other.stop()
        await log.stop()
    assert [e.subject_id for e in seen.events if e.type == "prospect.created.v1"] == [
        "p-own",
        "p-other",
    ]
