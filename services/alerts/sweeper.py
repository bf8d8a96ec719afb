"""The one place the alerts service reads the clock: every few seconds it asks the rules what
expired or went unanswered by now, and records that as events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.alerts.handlers import Alerts
from services.common.worker import Worker


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Sweeper:
    def __init__(
        self, alerts: Alerts, interval_s: float, clock: Callable[[], datetime] = wall_clock
    ):
        self.alerts, self.clock = alerts, clock
        self._worker = Worker(
            "alerts:sweeper", self._sweep, interval_s=interval_s, retry_s=interval_s
        )

    async def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def _sweep(self) -> None:
        await self.alerts.sweep(self.clock())
