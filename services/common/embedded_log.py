"""A durable event log in one SQLite file, for running every service in one process.

Each topic is a single partition with gap-free offsets, so order holds for every key. Consumer
groups keep their next offset in the same file; a group seen for the first time starts from the
beginning of the log. One consumer per group: this log is for one process, not for scale-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from schemas.envelope import Event
from services.common import metrics
from services.common.transport import (
    Outgoing,
    Record,
    Subscription,
    TransientError,
    deliver,
)
from services.common.worker import woken

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    topic TEXT NOT NULL, "offset" INTEGER NOT NULL, key BLOB, value BLOB NOT NULL,
    headers TEXT NOT NULL, appended_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    PRIMARY KEY (topic, "offset")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic)
) WITHOUT ROWID;
"""


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=FULL")
    await conn.execute("PRAGMA busy_timeout=10000")
    return conn


class EmbeddedLog:
    def __init__(self, path: Path | str, *, poll_interval_s: float = 0.5):
        self.path = Path(path)
        self.poll_interval_s = poll_interval_s
        self._subscriptions: list[Subscription] = []
        self._wakeups: dict[str, list[asyncio.Event]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._next_offset: dict[str, int] = {}

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        await self._writer.executescript(_SCHEMA)
        for sub in self._subscriptions:
            wakeup = asyncio.Event()
            for topic in sub.topics:
                self._wakeups.setdefault(topic, []).append(wakeup)
            self._tasks.append(asyncio.create_task(self._consume(sub, wakeup), name=sub.group))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._wakeups.clear()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    async def publish(self, events: Sequence[Event]) -> None:
        await self.publish_raw([Outgoing.of(e) for e in events])

    async def publish_raw(self, messages: Sequence[Outgoing]) -> None:
        if not messages:
            return
        writer = self._require_writer()
        async with self._write_lock:
            rows = []
            await writer.execute("BEGIN IMMEDIATE")
            try:
                for m in messages:
                    offset = await self._take_offset(writer, m.topic)
                    rows.append((m.topic, offset, m.key, m.value, _encode_headers(m.headers)))
                await writer.executemany(
                    'INSERT INTO log (topic, "offset", key, value, headers) VALUES (?, ?, ?, ?, ?)',
                    rows,
                )
                await writer.execute("COMMIT")
            except BaseException:
                await writer.execute("ROLLBACK")
                self._next_offset.clear()
                raise
        for topic, n in Counter(m.topic for m in messages).items():
            metrics.PUBLISHED.labels(topic).inc(n)
            # Only the groups reading this topic: a woken group asks SQLite for records.
            for wakeup in self._wakeups.get(topic, ()):
                wakeup.set()

    async def read(self, topic: str, start: int = 0, limit: int = 10_000) -> list[Record]:
        """Records of `topic` from offset `start`: for tests, replays and the DLQ tooling."""
        writer = self._require_writer()
        cursor = await writer.execute(
            'SELECT "offset", key, value, headers FROM log WHERE topic = ? AND "offset" >= ? '
            'ORDER BY "offset" LIMIT ?',
            (topic, start, limit),
        )
        rows = await cursor.fetchall()
        return [Record(topic, 0, o, k, v, _decode_headers(h)) for o, k, v, h in rows]

    async def committed(self, group: str, topic: str) -> int:
        cursor = await self._require_writer().execute(
            "SELECT next_offset FROM group_offsets WHERE grp = ? AND topic = ?", (group, topic)
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def end_offset(self, topic: str) -> int:
        cursor = await self._require_writer().execute(
            'SELECT COALESCE(MAX("offset") + 1, 0) FROM log WHERE topic = ?', (topic,)
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _take_offset(self, writer: aiosqlite.Connection, topic: str) -> int:
        if topic not in self._next_offset:
            cursor = await writer.execute(
                'SELECT COALESCE(MAX("offset") + 1, 0) FROM log WHERE topic = ?', (topic,)
            )
            row = await cursor.fetchone()
            self._next_offset[topic] = int(row[0]) if row else 0
        offset = self._next_offset[topic]
        self._next_offset[topic] = offset + 1
        return offset

    async def _commit(self, group: str, topic: str, next_offset: int) -> None:
        writer = self._require_writer()
        async with self._write_lock:
            await writer.execute(
                "INSERT INTO group_offsets (grp, topic, next_offset) VALUES (?, ?, ?) "
                "ON CONFLICT (grp, topic) DO UPDATE SET next_offset = excluded.next_offset",
                (group, topic, next_offset),
            )

    async def _consume(self, sub: Subscription, wakeup: asyncio.Event) -> None:
        reader = await _connect(self.path)
        try:
            positions = {t: await self.committed(sub.group, t) for t in sub.topics}
            # A group at the end this process appended to need not ask SQLite for records;
            # at least once a poll interval it asks anyway, for what another process appended
            # (tools and tests publish into a running log).
            loop = asyncio.get_running_loop()
            asked_at = loop.time() - self.poll_interval_s
            while True:
                wakeup.clear()
                progressed = False
                ask = loop.time() - asked_at >= self.poll_interval_s
                for topic in sub.topics:
                    progressed |= await self._consume_batch(
                        reader, sub, topic, positions, trust_end=not ask
                    )
                if ask:
                    asked_at = loop.time()
                if not progressed:
                    await woken(wakeup, self.poll_interval_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("embedded consumer %s stopped", sub.group)
            raise
        finally:
            await reader.close()

    async def _consume_batch(
        self,
        reader: aiosqlite.Connection,
        sub: Subscription,
        topic: str,
        positions: dict[str, int],
        *,
        trust_end: bool,
    ) -> bool:
        end = self._next_offset.get(topic)
        if trust_end and end is not None and positions[topic] >= end:
            return False
        cursor = await reader.execute(
            'SELECT "offset", key, value, headers FROM log WHERE topic = ? AND "offset" >= ? '
            'ORDER BY "offset" LIMIT ?',
            (topic, positions[topic], sub.max_batch),
        )
        rows = list(await cursor.fetchall())
        if not rows:
            return False
        records = [Record(topic, 0, o, k, v, _decode_headers(h)) for o, k, v, h in rows]
        try:
            await deliver(records, sub, self.publish_raw)
        except TransientError as exc:
            metrics.TRANSIENT_FAILURES.labels(sub.group).inc()
            log.warning("group %s: dependency down, will retry: %s", sub.group, exc)
            await asyncio.sleep(min(5.0, sub.retry_backoff_s * 20))
            return False
        positions[topic] = records[-1].offset + 1
        await self._commit(sub.group, topic, positions[topic])
        end = self._next_offset.get(topic)
        if end is not None:
            metrics.CONSUMER_LAG.labels(sub.group, topic, "0").set(max(0, end - positions[topic]))
        return True

    def _require_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("the embedded log is not started")
        return self._writer


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[k, v.decode("latin-1")] for k, v in headers])


def _decode_headers(raw: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(raw))
