"""The one place the alerts service reads the clock: every few seconds it asks the rules what
expired or went unanswered by now, and records that as events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.alerts.handlers import Alerts

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Sweeper:
    def __init__(
        self, alerts: Alerts, interval_s: float, clock: Callable[[], datetime] = wall_clock
    ):
        self.alerts, self.interval_s, self.clock = alerts, interval_s, clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alerts:sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.alerts.sweep(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("alert sweep failed, will retry: %r", exc)
            await asyncio.sleep(self.interval_s)
