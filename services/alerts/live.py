"""The live alert feed for dashboards: the alerts journal as Server-Sent Events, resumable from
the last event id a client saw."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import ConsultantSession
from services.common.journal import journal_table
from services.common.worker import woken

log = logging.getLogger(__name__)
RECONNECT_MS = 2000


class Notifier:
    """Wakes every open stream at once, so a new alert goes out without waiting for the next
    poll. `notify()` may be called from any thread, after the journal write commits."""

    def __init__(self) -> None:
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def notify(self) -> None:
        for loop, listener in list(self._listeners):
            with contextlib.suppress(RuntimeError):  # that stream's loop has just closed
                loop.call_soon_threadsafe(listener.set)

    @contextlib.contextmanager
    def listening(self) -> Iterator[asyncio.Event]:
        listener = (asyncio.get_running_loop(), asyncio.Event())
        self._listeners.add(listener)
        try:
            yield listener[1]
        finally:
            self._listeners.discard(listener)


def live_router(
    engine: AsyncEngine,
    *,
    notifier: Notifier | None = None,
    poll_s: float = 0.25,
    keepalive_s: float = 15.0,
    batch: int = 500,
) -> APIRouter:
    api = APIRouter(tags=["alerts"])
    journal = journal_table(MetaData(), "alerts")
    wakes = notifier or Notifier()

    async def newest() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.max(journal.c.seq)))).scalar() or 0)

    async def after(seq: int) -> list[Any]:
        async with engine.connect() as conn:
            query = (
                select(journal.c.seq, journal.c.type, journal.c.payload)
                .where(journal.c.seq > seq)
                .order_by(journal.c.seq)
                .limit(batch)
            )
            return list((await conn.execute(query)).all())

    async def messages(start: int) -> AsyncIterator[bytes]:
        with wakes.listening() as wake:
            yield f"retry: {RECONNECT_MS}\n\n".encode()
            last, quiet_since = start, time.monotonic()
            while True:
                wake.clear()
                try:
                    rows = await after(last)
                except Exception as exc:
                    # Ending the stream is the recovery: the client reconnects with its last id.
                    log.warning("live feed could not read the alerts journal: %r", exc)
                    return
                for row in rows:
                    yield sse(row.seq, row.type, row.payload)
                    last = row.seq
                if rows:
                    quiet_since = time.monotonic()
                    if len(rows) == batch:
                        continue
                elif time.monotonic() - quiet_since >= keepalive_s:
                    yield b": keepalive\n\n"
                    quiet_since = time.monotonic()
                await woken(wake, poll_s)

    @api.get(
        "/v1/alerts/stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
            400: {"description": "Last-Event-ID is not an event id"},
        },
        summary="Alert events as they happen (Server-Sent Events)",
    )
    async def stream(
        _: ConsultantSession,
        last_event_id: Annotated[
            str | None, Header(alias="Last-Event-ID", include_in_schema=False)
        ] = None,
        resume_after: Annotated[int | None, Query(alias="last_event_id", ge=0)] = None,
    ) -> StreamingResponse:
        # A browser's EventSource reconnects to the URL it was opened with and adds the header,
        # so the header, being newer, wins over the query parameter.
        if last_event_id is not None and last_event_id.strip():
            if not last_event_id.strip().isdigit():
                raise HTTPException(
                    status.HTTP_400_BAD_REQUEST, detail="Last-Event-ID must be an event id"
                )
            start = int(last_event_id)
        elif resume_after is not None:
            start = resume_after
        else:
            start = await newest()
        return StreamingResponse(
            messages(start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return api


def sse(seq: int, kind: str, payload: str) -> bytes:
    name = kind.rsplit(".v", 1)[0]
    data = "".join(f"data: {line}\n" for line in payload.splitlines() or [""])
    return f"id: {seq}\nevent: {name}\n{data}\n".encode()
