"""The two event logs under contract test, behind one small adapter."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.envelope import Event
from schemas.web import CtaClickedV1
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from services.common.transport import Record, Transport

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class LogUnderTest:
    kind: str
    address: str
    namespace: str

    def transport(self) -> Transport:
        if self.kind == "embedded":
            return EmbeddedLog(self.address, poll_interval_s=0.05)
        return KafkaTransport(self.address, namespace=self.namespace, client_id="contract")

    async def read(self, topic: str) -> list[Record]:
        if self.kind == "embedded":
            log = EmbeddedLog(self.address)
            await log.start()
            try:
                return await log.read(topic)
            finally:
                await log.stop()
        return await _read_kafka(self.address, self.namespace + topic)


async def _read_kafka(bootstrap: str, topic: str) -> list[Record]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        out: list[Record] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp_records in batch.values():
                out += [
                    Record(topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
                    for r in tp_records
                ]
        return out
    finally:
        await consumer.stop()


def clicks(subject: str, n: int, *, start: int = 0) -> list[CtaClickedV1]:
    return [
        CtaClickedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0 + timedelta(seconds=start + i),
            subject_id=subject,
            cta={"id": f"cta-{start + i}", "label": "Read more", "stage": 1, "points": 5},
        )
        for i in range(n)
    ]


class Collector:
    """A handler that records what it was given, and lets a test wait for a count."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.batch_sizes: list[int] = []
        self._changed = asyncio.Event()

    async def __call__(self, events: Sequence[Event]) -> None:
        self.batch_sizes.append(len(events))
        self.events.extend(events)
        self._changed.set()

    async def wait_for(self, count: int, timeout: float = 45.0) -> list[Event]:
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    def ids(self) -> list[uuid.UUID]:
        return [e.event_id for e in self.events]


def embedded_path(tmp: Path) -> str:
    return str(tmp / "events.db")
