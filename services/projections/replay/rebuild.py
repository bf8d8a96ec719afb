"""Rebuilding the read models: replay each one's topic from its start into a fresh version's
tables, catch up with what arrived meanwhile under the read models' lock, and switch reads and
the live projections over in that same transaction. The old version's tables stay until
dropped."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas import topics
from schemas.catalogue import InvalidEvent, parse_event
from schemas.envelope import Event
from services.common.db import bulk_insert
from services.common.log_reader import LogReader, Positions
from services.common.transport import Record
from services.projections.models.board import project
from services.projections.replay.folds import BoardFold, Fold, other_folds
from services.projections.tables import board as board_store
from services.projections.tables import versions
from services.projections.tables.read_models import ReadModels

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
    sizes: Mapping[str, int] = field(default_factory=dict)
    """Rows of each read model besides the board, by its topic."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Replay:
    """The version being filled, and the ids of the events already applied."""

    tables: ReadModels
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


@dataclass
class _Source:
    """One topic, the read model folded from it, and how far it has been read."""

    reader: LogReader
    fold: Fold
    first: Positions = field(default_factory=dict)
    done: Positions = field(default_factory=dict)


async def rebuild(
    engine: AsyncEngine,
    reader: LogReader,
    progress: Progress | None = None,
    others: Mapping[str, LogReader] | None = None,
) -> Rebuilt:
    """Replay the log into the next version of every read model and switch to it. `reader`
    reads the journey's topic; `others` the other read models' topics (alerts, billing,
    content, planning), by topic; a model whose topic is not given is rebuilt empty. Readers
    are started."""
    started = time.perf_counter()
    replay = _Replay(await versions.create_next(engine))
    board = BoardFold()
    folds = other_folds()
    sources = {topics.JOURNEY: _Source(reader, board)}
    sources |= {topic: _Source(r, folds[topic]) for topic, r in (others or {}).items()}
    for source in sources.values():
        source.first, source.done = await source.reader.bounds()
    total = sum(_count(s.first, s.done) for s in sources.values())
    if progress:
        progress(0, total)
    await _replay_board(engine, replay, sources[topics.JOURNEY], board, progress, total)
    for topic, source in sources.items():
        if topic != topics.JOURNEY:
            async for records in source.reader.read(source.first, source.done):
                source.fold.apply(replay.fresh(records))
                if progress:
                    progress(replay.read, total)
    async with engine.begin() as conn:
        for source in sources.values():
            await source.fold.write(conn, replay.tables)
    previous = await _catch_up_and_switch(engine, replay, sources)
    if progress:
        progress(replay.read, replay.read)
    return Rebuilt(
        replay.tables.board.rows.name,
        previous,
        replay.read,
        replay.duplicates,
        replay.unreadable,
        board.size(),
        time.perf_counter() - started,
        {topic: fold.size() for topic, fold in folds.items()},
    )


async def _replay_board(
    engine: AsyncEngine,
    replay: _Replay,
    source: _Source,
    board: BoardFold,
    progress: Progress | None,
    total: int,
) -> None:
    """The journey's log folded into `board`; the events' ids are written as it goes, the rows
    by the board's next write."""
    writing: asyncio.Task[None] | None = None
    async for records in _ahead(source.reader.read(source.first, source.done)):
        events: list[Event] = []
        for start in range(0, len(records), SLICE):
            fresh = replay.fresh(records[start : start + SLICE])
            board.board = project(board.board, fresh)
            events += fresh
            # Let the previous batch's write and the next fetch move on between slices: the
            # database and the broker work meanwhile in processes (or threads) of their own.
            await asyncio.sleep(0)
            if progress:
                progress(replay.read, total)
        if writing is not None:
            await writing
        writing = asyncio.create_task(_mark(engine, replay.tables.board, events))
    if writing is not None:
        await writing


async def _catch_up_and_switch(
    engine: AsyncEngine, replay: _Replay, sources: Mapping[str, _Source]
) -> str:
    """Under the read models' lock no live batch commits, so every event a live projection has
    applied lies before the end offsets read now: apply each topic's tail up to them, then
    switch. Live redeliveries of that tail afterwards find their ids processed in the new
    version. What arrived during a long replay is applied first without the lock, so the live
    projections wait only for the last few events."""
    async with engine.begin() as conn:
        for source in sources.values():
            await _apply_tail(conn, replay, source)
    async with engine.begin() as conn:
        await versions.lock_board(conn)
        previous = await versions.active_name(conn)
        for source in sources.values():
            await _apply_tail(conn, replay, source)
        await versions.switch(conn, replay.tables.board.rows.name)
    return previous


async def _apply_tail(conn: AsyncConnection, replay: _Replay, source: _Source) -> None:
    _, end = await source.reader.bounds()
    tail: list[Event] = []
    async for records in source.reader.read(source.done, end):
        tail += replay.fresh(records)
    source.fold.apply(tail)
    source.done = end
    await source.fold.write(conn, replay.tables)


async def _mark(
    engine: AsyncEngine, tables: board_store.BoardTables, events: Sequence[Event]
) -> None:
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
