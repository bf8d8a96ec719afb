"""Views written in one statement on PostgreSQL (`write_at_once`), racing writers that take the
journal's lock the usual way: every view is journaled and noted once, and the outbox relay, which
publishes in `seq` order and would skip a row committed after a later one, publishes them all,
once, in journal order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.catalogue import parse_event
from schemas.content import GatedContentViewedV1
from services.common.embedded_log import EmbeddedLog
from services.common.journal import append_for_relay, lock_journal
from services.common.outbox import Relay
from services.content import store
from services.content.views import write_at_once
from tests.infra import service_database

pytestmark = pytest.mark.postgres


@pytest.fixture(params=["postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[AsyncEngine]:
    async with service_database(
        request, tmp_path, f"views_{unique}", "content", store.MIGRATIONS
    ) as engine:
        yield engine


def views(n: int, visitor: str) -> list[GatedContentViewedV1]:
    return [
        GatedContentViewedV1(
            event_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            subject_id=visitor,
            playbook_id="selling",
            variation_id=f"var-{i % 2}",
        )
        for i in range(n)
    ]


async def test_views_written_at_once_race_locked_writers_and_all_go_out_in_order(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    log = EmbeddedLog(tmp_path / "events.db")
    await log.start()
    relay = Relay(engine, store.journal, store.relay_position, log, idle_s=0.01)
    await relay.start()
    written: list[GatedContentViewedV1] = []
    shown: list[GatedContentViewedV1] = []  # the views written at once also note first views

    async def at_once(i: int) -> None:
        group = views(1 + i % 3, f"v-{i}")
        written.extend(group)
        shown.extend(group)
        relay.hand_over(await write_at_once(engine, store.journal, store.views, group))

    async def locked(i: int) -> None:
        group = views(2, f"w-{i}")
        written.extend(group)
        async with engine.begin() as conn:
            await lock_journal(conn, store.journal)
            appended = await append_for_relay(conn, store.journal, group)
            await asyncio.sleep(0.005)  # hold the lock a while: writers at once must wait
        relay.hand_over(appended)

    try:
        await asyncio.gather(*(f(i) for i in range(25) for f in (at_once, locked)))
        async with engine.connect() as conn:
            end = (await conn.execute(select(func.max(store.journal.c.seq)))).scalar_one()
            noted = (await conn.execute(select(func.count()).select_from(store.views))).scalar()
            order = [
                r.event_id
                for r in await conn.execute(
                    select(store.journal.c.event_id).order_by(store.journal.c.seq)
                )
            ]
        assert end == len(written)
        assert noted == len({(v.subject_id, v.variation_id) for v in shown})
        deadline = asyncio.get_running_loop().time() + 20
        while relay.published != end:
            assert asyncio.get_running_loop().time() < deadline, "the relay skipped rows"
            await asyncio.sleep(0.02)
        published = [str(parse_event(r.value).event_id) for r in await log.read(topics.CONTENT)]
        assert published == order
        assert sorted(published) == sorted(str(v.event_id) for v in written)
    finally:
        # Bounded: a failure above must be reported, not turned into a hung run.
        await asyncio.wait_for(relay.stop(), 30)
        await log.stop()
