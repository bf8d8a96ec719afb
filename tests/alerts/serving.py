"""Shared by the access, live feed and webhook tests: real HTTP servers in a thread, a fresh
alerts journal on SQLite or PostgreSQL, and alert events to put in it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alerts import AlertAcknowledgedV1, AlertEscalatedV1, AlertRaisedV1
from schemas.envelope import Event
from services.common.db import create_engine
from services.common.journal import append, journal_table, position_table
from tests.infra import create_database
from tests.processes import free_port

SECRET = "test-session-secret"
AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a thread of its own; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


async def database_url(kind: str, tmp_path: Path, server_url: str | None, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    assert server_url is not None
    return await create_database(server_url, name)


@dataclass
class Journal:
    """The alerts journal as the core's migration makes it, written to as the core does."""

    engine: AsyncEngine
    table: Table = field(init=False)
    position: Table = field(init=False)

    def __post_init__(self) -> None:
        metadata = MetaData()
        self.table = journal_table(metadata, "alerts")
        self.position = position_table(metadata, "alerts")

    async def create(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.table.metadata.create_all)

    async def append(self, *events: Event) -> list[int]:
        async with self.engine.begin() as conn:
            await append(conn, self.table, events)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                self.table.select().where(
                    self.table.c.event_id.in_([str(e.event_id) for e in events])
                )
            )
            return sorted(r.seq for r in rows)


@asynccontextmanager
async def journal_at(url: str) -> AsyncIterator[Journal]:
    engine = create_engine(url)
    journal = Journal(engine)
    await journal.create()
    try:
        yield journal
    finally:
        await engine.dispose()


def raised(subject: str = "v-1", minute: int = 0, gap: int = 2) -> AlertRaisedV1:
    return AlertRaisedV1(
        event_id=uuid.uuid4(),
        occurred_at=AT + timedelta(minutes=minute),
        subject_id=subject,
        alert_id=uuid.uuid4(),
        priority="HIGH" if gap < 4 else "URGENT",
        email=f"{subject}@example.com",
        current_stage=1,
        target_stage=1 + gap,
        gap=gap,
        recommended_action="Phone follow-up within 24 hours",
        expires_at=AT + timedelta(days=7, minutes=minute),
    )


def escalated(alert: AlertRaisedV1, minute: int = 1) -> AlertEscalatedV1:
    return AlertEscalatedV1(
        event_id=uuid.uuid4(),
        occurred_at=AT + timedelta(minutes=minute),
        subject_id=alert.subject_id,
        alert_id=alert.alert_id,
        priority="URGENT",
        target_stage=6,
        gap=5,
        reason="higher_target",
    )


def acknowledged(alert: AlertRaisedV1, minute: int = 2) -> AlertAcknowledgedV1:
    return AlertAcknowledgedV1(
        event_id=uuid.uuid4(),
        occurred_at=AT + timedelta(minutes=minute),
        subject_id=alert.subject_id,
        alert_id=alert.alert_id,
        by="consultant@example.com",
    )


@dataclass
class Frame:
    id: str | None = None
    event: str | None = None
    data: str | None = None
    comment: str | None = None
    retry: str | None = None


class FrameReader:
    """Server-Sent Events frames off a streaming httpx response."""

    def __init__(self, response: httpx.Response):
        self.lines = response.aiter_lines()

    async def next(self) -> Frame:
        frame, seen = Frame(), False
        async for line in self.lines:
            if line == "":
                if seen:
                    return frame
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                frame.comment = value
            elif name == "data":
                frame.data = value if frame.data is None else f"{frame.data}\n{value}"
            else:
                setattr(frame, name, value)
        raise EOFError("the stream ended")

    async def next_event(self) -> Frame:
        while (frame := await self.next()).event is None:
            pass
        return frame
