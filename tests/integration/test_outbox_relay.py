"""The outbox relay on SQLite (embedded) and PostgreSQL, publishing to the embedded log: batches
handed over after commit go out from memory, rows it was not handed are read from the journal,
in journal order, and a crash between commit and publish loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.catalogue import parse_event
from schemas.envelope import Event
from schemas.web import CtaClickedV1
from services.common.embedded_log import EmbeddedLog
from services.common.journal import Appended, append, append_for_relay, lock_journal
from services.common.outbox import Relay
from services.journey.domain.decisions import decide
from services.journey.tables import prospects as store
from tests.infra import migrated_engine

T0 = datetime(2026, 11, 1, tzinfo=UTC)


engine = migrated_engine("journey", store.MIGRATIONS)


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[EmbeddedLog]:
    log = EmbeddedLog(tmp_path / "events.db")
    await log.start()
    yield log
    await log.stop()


def first_clicks(n: int, offset: int) -> list[Event]:
    events: list[Event] = []
    for i in range(offset, offset + n):
        click = CtaClickedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0 + timedelta(seconds=i),
            subject_id=f"v-{i}",
            cta={"id": "guide", "label": "Read the guide", "stage": 4, "points": 10},
            page="https://example.com/guides",
        )
        events += decide(None, click)
    return events


async def commit(engine: AsyncEngine, events: Sequence[Event], *, handed: bool) -> Appended | None:
    async with engine.begin() as conn:
        await lock_journal(conn, store.journal)
        if handed:
            return await append_for_relay(conn, store.journal, events)
        await append(conn, store.journal, events)
        return None


async def published_ids(log: EmbeddedLog) -> list[str]:
    return [str(parse_event(r.value).event_id) for r in await log.read(topics.JOURNEY)]


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def journal_end(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.max(store.journal.c.seq)))).scalar_one())


@contextlib.asynccontextmanager
async def leading(engine: AsyncEngine, log: EmbeddedLog) -> AsyncIterator[Relay]:
    """A started relay that has read its position. No idle polling within a test: only a
    hand-over, or a gap it reveals, publishes."""
    relay = Relay(engine, store.journal, store.relay_position, log, idle_s=60)
    await relay.start()
    try:

        async def ready() -> bool:
            return relay.published is not None

        await until(ready)
        yield relay
    finally:
        await relay.stop()


async def test_handed_over_batches_and_rows_written_elsewhere_go_out_once_in_journal_order(
    engine: AsyncEngine, log: EmbeddedLog
) -> None:
    async with leading(engine, log) as relay:
        a, b, c = first_clicks(3, 0), first_clicks(2, 3), first_clicks(4, 5)
        relay.hand_over(await commit(engine, a, handed=True))

        async def a_out() -> bool:
            return len(await published_ids(log)) == len(a)

        await until(a_out)
        await commit(engine, b, handed=False)  # another process's write: nobody tells the relay
        relay.hand_over(await commit(engine, c, handed=True))
        end = await journal_end(engine)

        async def all_out() -> bool:
            return relay.published == end

        await until(all_out)
        assert await published_ids(log) == [str(e.event_id) for e in [*a, *b, *c]]


async def test_rows_committed_but_never_published_go_out_after_a_restart_and_only_once(
    engine: AsyncEngine, log: EmbeddedLog
) -> None:
    before_crash = first_clicks(3, 0)
    await commit(engine, before_crash, handed=True)  # the process died before handing it over
    end = await journal_end(engine)
    expected = [str(e.event_id) for e in before_crash]

    for _ in range(2):  # the second start finds the position saved by the first stop
        relay = Relay(engine, store.journal, store.relay_position, log, idle_s=0.05)
        await relay.start()

        async def all_out(relay: Relay = relay) -> bool:
            return relay.published == end

        await until(all_out)
        await relay.stop()
        assert await published_ids(log) == expected


async def test_a_batch_partly_read_back_from_the_journal_goes_out_from_where_that_stopped(
    engine: AsyncEngine, log: EmbeddedLog
) -> None:
    # The relay read the journal (a page of 2 rows) while a batch committed: it published that
    # batch's first rows before the batch was handed over. The rest go out once, in order.
    relay = Relay(engine, store.journal, store.relay_position, log, batch=2)
    events = first_clicks(5, 0)
    handed = await commit(engine, events, handed=True)
    assert await relay.publish_pending() == 2
    relay.hand_over(handed)
    assert await relay._publish_handed() == len(events) - 2
    assert relay.published == await journal_end(engine)
    assert await published_ids(log) == [str(e.event_id) for e in events]


class RolledBack(Exception):
    pass


async def test_a_hole_in_the_seqs_before_a_handed_batch_does_not_stop_the_relay(
    engine: AsyncEngine, log: EmbeddedLog
) -> None:
    # On PostgreSQL a rolled-back transaction's journal rows leave their seqs unused: the next
    # batch handed over does not continue the published position, and no row fills the hole.
    async with leading(engine, log) as relay:
        a, b = first_clicks(2, 0), first_clicks(2, 20)
        relay.hand_over(await commit(engine, a, handed=True))
        with pytest.raises(RolledBack):
            async with engine.begin() as conn:
                await lock_journal(conn, store.journal)
                await append(conn, store.journal, first_clicks(3, 10))
                raise RolledBack
        relay.hand_over(await commit(engine, b, handed=True))
        end = await journal_end(engine)

        async def all_out() -> bool:
            return relay.published == end

        await until(all_out)
        assert await published_ids(log) == [str(e.event_id) for e in [*a, *b]]
