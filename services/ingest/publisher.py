"""Ingest's answer within a bound when the event log cannot take events.

With every broker down, aiokafka keeps a message it has taken and delivers it once the cluster
is back, whatever its timeouts say; a client waiting on it would wait as long. So a publish that
has not completed within `bound_s` is answered 503 while it goes on in the background: the events
it carries may still reach the log, and the client is told to retry with the same event ids,
which consumers then count once. While such a publish is pending nothing new is handed over
(503 at once, and the service reports itself not ready); ingest accepts again as soon as the
pending publishes complete, that is when the log is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from schemas.envelope import Event
from services.common.transport import Transport

log = logging.getLogger(__name__)


class Stalled(Exception):
    """The log did not take the events within the bound; they may still reach it."""


class Unavailable(Exception):
    """A publish is still pending past the bound: nothing was handed over."""


class BoundedPublisher:
    def __init__(self, transport: Transport, bound_s: float):
        self.transport, self.bound_s = transport, bound_s
        self._pending: set[asyncio.Future[None]] = set()

    @property
    def stalled(self) -> bool:
        return bool(self._pending)

    async def publish(self, events: Sequence[Event]) -> None:
        """Raises Unavailable (nothing handed over), Stalled (handed over, fate unknown), or
        the transport's own error."""
        if self._pending:
            raise Unavailable
        publishing = asyncio.ensure_future(self.transport.publish(events))
        done, _ = await asyncio.wait({publishing}, timeout=self.bound_s)
        if publishing in done:
            publishing.result()
            return
        log.error("the event log took no events for %.1f s: answering 503", self.bound_s)
        self._pending.add(publishing)
        publishing.add_done_callback(self._settled)
        raise Stalled

    def _settled(self, publishing: asyncio.Future[None]) -> None:
        self._pending.discard(publishing)
        if publishing.cancelled():
            return
        if (error := publishing.exception()) is not None:
            log.error("a publish answered 503 failed in the end: %r", error)
        else:
            log.warning("a publish answered 503 reached the event log after all")
