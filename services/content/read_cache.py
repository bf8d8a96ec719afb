"""The gate's hot path reads no table: each process keeps every asked playbook and its cached
copy in memory for `TTL_S`, refreshed by one query per playbook however many requests ask at that
moment. This process's changes forget the entry at once; other instances' are seen within TTL_S."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from services.content import store
from services.content.domain import Cached, Playbook

TTL_S, MAX_KEPT = 1.0, 10_000
Found = tuple[Playbook, Cached | None]


class ReadCache:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._kept: dict[str, tuple[float, Playbook, Cached | None]] = {}
        self._reading: dict[str, asyncio.Task[Found | None]] = {}

    def forget(self, playbook_id: str) -> None:
        self._kept.pop(playbook_id, None)

    async def get(self, playbook_id: str) -> Found | None:
        """The playbook and its cached copy; None for an unknown playbook."""
        kept = self._kept.get(playbook_id)
        if kept is not None and time.monotonic() - kept[0] < TTL_S:
            return kept[1], kept[2]
        # One read per playbook at a time: when the entry gets old, the requests of that moment
        # share one query instead of each taking a connection.
        reading = self._reading.get(playbook_id)
        if reading is None:
            reading = asyncio.create_task(self._read(playbook_id))
            self._reading[playbook_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(playbook_id, None))
        return await asyncio.shield(reading)

    async def _read(self, playbook_id: str) -> Found | None:
        now = time.monotonic()
        async with self.engine.connect() as conn:
            playbook = await store.playbook(conn, playbook_id)
            cached = await store.cached_copy(conn, playbook_id) if playbook else None
        if playbook is None:
            return None  # not kept: made-up ids must not fill the memory
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        self._kept[playbook_id] = (now, playbook, cached)
        return playbook, cached
