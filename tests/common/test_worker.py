"""The background worker the relay, the webhooks and the sweeper run on: it repeats its step,
starts again after a failure, stops wherever the step is waiting, and with a leader lock only
one of several instances works at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from itertools import pairwise

import pytest
from sqlalchemy import text

from services.common.db import create_engine
from services.common.worker import Worker, woken


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_failing_step_is_logged_forgotten_and_run_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    forgotten: list[int] = []

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("the database went away")

    worker = Worker("test:flaky", step, retry_s=0.01, forget=lambda: forgotten.append(len(calls)))
    with caplog.at_level(logging.WARNING, logger="services.common.worker"):
        worker.start()
        await until(lambda: len(calls) >= 4)
        await worker.stop()

    assert forgotten == [0, 2, 2], "once on starting, then after the failure and on restarting"
    assert "test:flaky failed, will retry: RuntimeError('the database went away')" in caplog.text


async def test_steps_are_spaced_by_the_interval() -> None:
    started: list[float] = []
    loop = asyncio.get_running_loop()

    async def step() -> None:
        started.append(loop.time())

    worker = Worker("test:interval", step, interval_s=0.1)
    worker.start()
    await until(lambda: len(started) >= 3)
    await worker.stop()

    assert all(later - earlier >= 0.09 for earlier, later in pairwise(started))


async def test_stopping_cancels_a_step_wherever_it_waits() -> None:
    waiting, cancelled = asyncio.Event(), asyncio.Event()

    async def step() -> None:
        waiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = Worker("test:stuck", step)
    worker.start()
    await asyncio.wait_for(waiting.wait(), 5)
    await asyncio.wait_for(worker.stop(), 5)

    assert cancelled.is_set()
    assert not worker.started


@pytest.mark.postgres
async def test_with_a_leader_lock_one_instance_works_until_it_stops(
    postgres_url: str, unique: str
) -> None:
    engine = create_engine(postgres_url)
    steps = {"first": 0, "second": 0}

    def counting(name: str) -> Callable[[], Awaitable[None]]:
        async def step() -> None:
            steps[name] += 1
            await asyncio.sleep(0.01)

        return step

    lock = (engine, f"test-worker-{unique}")
    first = Worker("test:first", counting("first"), leader_lock=lock, lock_poll_s=0.05)
    second = Worker("test:second", counting("second"), leader_lock=lock, lock_poll_s=0.05)
    try:
        first.start()
        await until(lambda: steps["first"] > 0)
        second.start()
        await asyncio.sleep(0.3)
        assert steps["second"] == 0, "the second waits while the first holds the lock"

        await first.stop()
        await until(lambda: steps["second"] > 0)
    finally:
        await first.stop()
        await second.stop()
        await engine.dispose()


async def test_a_stop_arriving_as_the_wake_up_is_set_still_stops_the_waiting_loop() -> None:
    wake = asyncio.Event()
    waiting = asyncio.create_task(woken(wake, 10.0))
    await asyncio.sleep(0)
    wake.set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_wait_says_whether_it_was_woken_or_timed_out() -> None:
    wake = asyncio.Event()
    assert await woken(wake, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, wake.set)
    assert await woken(wake, 5.0) is True


@pytest.mark.postgres
async def test_leading_holds_no_transaction_open(postgres_url: str, unique: str) -> None:
    """A leader's lock is its session's; an open transaction beside it would hold back
    PostgreSQL's xmin horizon, and vacuum could clean no table of the database while it leads."""
    engine = create_engine(postgres_url)
    steps: list[int] = []

    async def step() -> None:
        steps.append(1)
        await asyncio.sleep(0.01)

    name = f"test-worker-xmin-{unique}"
    worker = Worker("test:leader", step, leader_lock=(engine, name), lock_poll_s=0.05)
    watcher = create_engine(postgres_url)
    try:
        worker.start()
        await until(lambda: len(steps) > 0)
        async with watcher.connect() as conn:
            held = (
                await conn.execute(
                    text(
                        "SELECT a.state, a.backend_xmin IS NOT NULL FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.objid = "
                        "(hashtext(:name)::bigint & 4294967295)::oid"
                    ),
                    {"name": name},
                )
            ).all()
        assert held == [("idle", False)], f"the leader's session: {held}"
    finally:
        await worker.stop()
        await engine.dispose()
        await watcher.dispose()
