"""Reading one topic of the event log from its start, outside any consumer group: what a rebuild
of a read model needs. `bounds()` snapshots where each partition begins and ends now; `read()`
yields the records between two such snapshots in large batches, each partition in order, and
stops there even while producers keep appending. One reader for the embedded log (its SQLite
file) and one for Kafka (a group-less consumer assigned every partition)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import aiosqlite
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.common.kafka import brokers
from services.common.transport import Record

# Offsets by partition.
Positions = dict[int, int]


class LogUnavailable(RuntimeError):
    """The log or its topic is not there: nothing to read, and nothing to rebuild from."""


class LogReader(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def bounds(self) -> tuple[Positions, Positions]:
        """(first offset, end offset) of every partition, now."""
        ...

    def read(self, start: Positions, end: Positions) -> AsyncIterator[list[Record]]:
        """The records from `start` (inclusive) to `end` (exclusive), in batches."""
        ...


class EmbeddedLogReader:
    """Reads the embedded log's SQLite file directly, beside a running product (WAL readers do
    not block its writer). One partition, 0."""

    def __init__(self, path: Path, topic: str, *, batch: int = 20_000):
        self.path, self.topic, self.batch = path, topic, batch
        self._conn: aiosqlite.Connection | None = None

    async def start(self) -> None:
        if not self.path.is_file():
            raise LogUnavailable(f"no embedded event log at {self.path}")
        self._conn = await aiosqlite.connect(self.path)
        await self._conn.execute("PRAGMA busy_timeout=10000")
        cursor = await self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log'"
        )
        if await cursor.fetchone() is None:
            await self.stop()
            raise LogUnavailable(f"{self.path} holds no event log")

    async def stop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def bounds(self) -> tuple[Positions, Positions]:
        cursor = await self._require().execute(
            'SELECT COALESCE(MIN("offset"), 0), COALESCE(MAX("offset") + 1, 0) FROM log '
            "WHERE topic = ?",
            (self.topic,),
        )
        row = await cursor.fetchone()
        first, end = (int(row[0]), int(row[1])) if row else (0, 0)
        return {0: first}, {0: end}

    async def read(self, start: Positions, end: Positions) -> AsyncIterator[list[Record]]:
        conn = self._require()
        at, stop = start.get(0, 0), end.get(0, 0)
        while at < stop:
            cursor = await conn.execute(
                'SELECT "offset", key, value FROM log WHERE topic = ? AND "offset" >= ? '
                'AND "offset" < ? ORDER BY "offset" LIMIT ?',
                (self.topic, at, stop, self.batch),
            )
            rows = list(await cursor.fetchall())
            if not rows:
                return
            yield [Record(self.topic, 0, o, k, v, ()) for o, k, v in rows]
            at = int(rows[-1][0]) + 1

    def _require(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the log reader is not started")
        return self._conn


class KafkaLogReader:
    """Reads a Kafka topic with a consumer that joins no group and commits nothing, so it never
    disturbs the services' own consumer groups."""

    def __init__(self, bootstrap_servers: str, topic: str, *, batch: int = 20_000):
        self.bootstrap_servers, self.topic, self.batch = bootstrap_servers, topic, batch
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=brokers(self.bootstrap_servers),
            client_id="crm-log-reader",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        await consumer.start()
        self._consumer = consumer
        # A group-less consumer's own metadata covers only assigned topics: ask the cluster.
        partitions = (await consumer._client.fetch_all_metadata()).partitions_for_topic(self.topic)
        if not partitions:
            await self.stop()
            raise LogUnavailable(f"no topic {self.topic!r} on {self.bootstrap_servers}")
        self._partitions = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        consumer.assign(self._partitions)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def bounds(self) -> tuple[Positions, Positions]:
        consumer = self._require()
        first = await consumer.beginning_offsets(self._partitions)
        end = await consumer.end_offsets(self._partitions)
        return (
            {tp.partition: int(first[tp]) for tp in self._partitions},
            {tp.partition: int(end[tp]) for tp in self._partitions},
        )

    async def read(self, start: Positions, end: Positions) -> AsyncIterator[list[Record]]:
        consumer = self._require()
        pending: dict[TopicPartition, int] = {}
        for tp in self._partitions:
            begin, stop = start.get(tp.partition, 0), end.get(tp.partition, 0)
            if begin < stop:
                consumer.seek(tp, begin)
                pending[tp] = stop
        consumer.pause(*[tp for tp in self._partitions if tp not in pending])
        consumer.resume(*pending)
        while pending:
            fetched = await consumer.getmany(*pending, timeout_ms=500, max_records=self.batch)
            batch = [
                Record(tp.topic, tp.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
                for tp, records in fetched.items()
                for r in records
                if r.offset < pending.get(tp, 0)
            ]
            for tp in list(pending):
                # Offsets may have gaps; the position says how far the partition has been read.
                if await consumer.position(tp) >= pending[tp]:
                    consumer.pause(tp)
                    del pending[tp]
            if batch:
                yield batch

    def _require(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("the log reader is not started")
        return self._consumer
