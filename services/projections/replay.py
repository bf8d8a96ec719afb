"""Rebuilding the board read model: replay the journey's log from its start into fresh versioned
tables, catch up with what arrived meanwhile under the board's lock, and switch reads and the
live projection over in that same transaction. The old version's tables stay until dropped."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.catalogue import InvalidEvent, parse_event
from schemas.envelope import Event
from services.common.db import bulk_insert, mark_processed
from services.common.log_reader import LogReader, Positions
from services.common.transport import Record
from services.projections import store, versions
from services.projections.projector import EMPTY, Board, project

# (events read so far, events to read); called as the replay goes.
Progress = Callable[[int, int], None]
SLICE = 2000


@dataclass(frozen=True)
class Rebuilt:
    version: str
    previous: str
    events: int
    """Records read from the log, the catch-up included."""
    duplicates: int
    unreadable: int
    prospects: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Replay:
    """The board built in memory, and the ids of the events already in it."""

    tables: store.BoardTables
    board: Board = EMPTY
    seen: set[uuid.UUID] = field(default_factory=set)
    read: int = 0
    duplicates: int = 0
    unreadable: int = 0

    def fresh(self, records: Sequence[Record]) -> list[Event]:
        """The records' events not applied yet. An at-least-once log may hold an event twice;
        a record that is no event of the catalogue is skipped, as the live consumer
        dead-letters it."""
        self.read += len(records)
        out: list[Event] = []
        for record in records:
            try:
                event = parse_event(record.value)
            except InvalidEvent:
                self.unreadable += 1
                continue
            if event.event_id in self.seen:
                self.duplicates += 1
                continue
            self.seen.add(event.event_id)
            out.append(event)
        return out


async def rebuild(
    engine: AsyncEngine, reader: LogReader, progress: Progress | None = None
) -> Rebuilt:
    """Replay the whole log into the next version and switch to it; `reader` is started."""
    started = time.perf_counter()
    replay = _Replay(await versions.create_next(engine))
    first, end = await reader.bounds()
    total = _count(first, end)
    if progress:
        progress(0, total)
    writing: asyncio.Task[None] | None = None
    async for records in _ahead(reader.read(first, end)):
        events: list[Event] = []
        for start in range(0, len(records), SLICE):
            fresh = replay.fresh(records[start : start + SLICE])
            replay.board = project(replay.board, fresh)
            events += fresh
            # Let the previous batch's write and the next fetch move on between slices: the
            # database and the broker work meanwhile in processes (or threads) of their own.
            await asyncio.sleep(0)
            if progress:
                progress(replay.read, total)
        if writing is not None:
            await writing
        writing = asyncio.create_task(_mark(engine, replay.tables, events))
    if writing is not None:
        await writing
    async with engine.begin() as conn:
        await store.save(conn, replay.tables, EMPTY, replay.board)
    previous = await _catch_up_and_switch(engine, reader, replay, end, progress)
    return Rebuilt(
        replay.tables.rows.name,
        previous,
        replay.read,
        replay.duplicates,
        replay.unreadable,
        len(replay.board.rows),
        time.perf_counter() - started,
    )


async def _catch_up_and_switch(
    engine: AsyncEngine,
    reader: LogReader,
    replay: _Replay,
    done: Positions,
    progress: Progress | None,
) -> str:
    """Under the board's lock no live batch commits, so every event the live projection has
    applied lies before the end offsets read now: apply the tail up to them, then switch. Live
    redeliveries of that tail afterwards find their ids processed in the new version. What
    arrived during a long replay is applied first without the lock, so the live projection waits
    only for the last few events."""
    _, end = await reader.bounds()
    async with engine.begin() as conn:
        await _apply_tail(conn, reader, replay, done, end)
    async with engine.begin() as conn:
        await versions.lock_board(conn)
        previous = await versions.active_name(conn)
        _, latest = await reader.bounds()
        await _apply_tail(conn, reader, replay, end, latest)
        await versions.switch(conn, replay.tables.rows.name)
    if progress:
        progress(replay.read, replay.read)
    return previous


async def _apply_tail(
    conn: AsyncConnection, reader: LogReader, replay: _Replay, start: Positions, end: Positions
) -> None:
    before = replay.board
    tail: list[Event] = []
    async for records in reader.read(start, end):
        tail += replay.fresh(records)
    replay.board = project(before, tail)
    await store.save(conn, replay.tables, before, replay.board)
    await mark_processed(conn, replay.tables.processed, [e.event_id for e in tail])


async def _mark(engine: AsyncEngine, tables: store.BoardTables, events: Sequence[Event]) -> None:
    """The events' ids in the new version's ledger. In key order, new keys append to the
    primary key's B-tree (measured: twice as fast as in log order)."""
    if not events:
        return
    ids = sorted(str(e.event_id) for e in events)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            rows = [{"event_id": i, "processed_at": now} for i in ids]
            await bulk_insert(conn, tables.processed, rows)
            return
        # SQLite: the driver's executemany, the time formatted once as SQLAlchemy stores it,
        # instead of SQLAlchemy processing two parameters per row (measured: 3x faster).
        at = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        await conn.exec_driver_sql(
            f'INSERT INTO "{tables.processed.name}" (event_id, processed_at) VALUES (?, ?)',
            [(i, at) for i in ids],
        )


async def _ahead(batches: AsyncIterator[list[Record]]) -> AsyncIterator[list[Record]]:
    """The same batches, the next one fetched while this one is projected."""
    queue: asyncio.Queue[list[Record] | None] = asyncio.Queue(maxsize=1)

    async def pump() -> None:
        try:
            async for batch in batches:
                await queue.put(batch)
        finally:
            await queue.put(None)

    pumping = asyncio.create_task(pump())
    try:
        while (batch := await queue.get()) is not None:
            yield batch
        await pumping  # raises what the reader raised
    finally:
        pumping.cancel()


def _count(first: Positions, end: Positions) -> int:
    return sum(max(0, stop - first.get(p, 0)) for p, stop in end.items())
