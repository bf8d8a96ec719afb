"""A background worker: one named asyncio task that runs a step over and over, and after a
failure logs it and starts again. With a leader lock it runs only while this process holds a
PostgreSQL session advisory lock of that name, so one instance does the work at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

_LEADER_LOCK = "SELECT pg_try_advisory_lock(hashtext(:name))"


class Worker:
    """Runs `step`, waits `interval_s`, and again, until stopped. A step that raises is logged
    and after `retry_s` the worker starts over, taking the leader lock again first if it has one.
    `forget` drops what the steps keep in memory: it is called after a failure, and each time the
    lock is taken (another instance may have led meanwhile)."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        *,
        interval_s: float = 0.0,
        retry_s: float = 1.0,
        leader_lock: tuple[AsyncEngine, str] | None = None,
        forget: Callable[[], None] | None = None,
        lock_poll_s: float = 2.0,
    ):
        self.name, self.step, self.interval_s, self.retry_s = name, step, interval_s, retry_s
        self.leader_lock, self.forget, self.lock_poll_s = leader_lock, forget, lock_poll_s
        self._task: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        """Started and not stopped since."""
        return self._task is not None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the step wherever it is waiting, and wait until it has stopped."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                async with self._leadership():
                    self._forget()
                    while True:
                        await self.step()
                        await asyncio.sleep(self.interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s failed, will retry: %r", self.name, exc)
                self._forget()
                await asyncio.sleep(self.retry_s)

    def _forget(self) -> None:
        if self.forget is not None:
            self.forget()

    @contextlib.asynccontextmanager
    async def _leadership(self) -> AsyncIterator[None]:
        if self.leader_lock is None or self.leader_lock[0].dialect.name != "postgresql":
            yield
            return
        engine, lock = self.leader_lock
        async with engine.connect() as conn:
            # Autocommit: the lock is the session's, and no transaction stays open while this
            # instance leads. One left open (SQLAlchemy begins one at the first statement) held
            # PostgreSQL's xmin horizon for hours, so vacuum could remove no dead row anywhere
            # in the database: a prospect's row had 100 dead versions after a minute at 1,000
            # clicks/s and every upsert got slower (found by the soak run).
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                while not (  # noqa: ASYNC110 - polling a database lock, no event to wait on
                    await conn.execute(text(_LEADER_LOCK), {"name": lock})
                ).scalar():
                    await asyncio.sleep(self.lock_poll_s)
                yield
            finally:
                # A session lock outlives the checkout: closing the connection, rather than
                # returning it to the pool, lets a restarted worker on this engine lead.
                await conn.invalidate()


async def woken(wake: asyncio.Event, within_s: float) -> bool:
    """Wait at most `within_s` seconds for `wake` to be set; whether it was. Not
    `asyncio.wait_for`: on Python 3.11 that swallows a cancellation arriving just as the event
    is set, and a loop being stopped would run on (a relay's stop hung 3 times in 60)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within_s):
            await wake.wait()
    return wake.is_set()
