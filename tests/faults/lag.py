"""How far behind each consumer group is, read from Kafka as an operator would: the group's
committed offsets against the partitions' ends (messages behind), and the age of the oldest
message it has not committed (seconds behind). Also reads whole topics, for the checker."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass
class Sample:
    at: float  # monotonic
    behind: dict[str, int]  # messages, per group
    seconds: dict[str, float]  # age of the oldest message not committed, per group
    taken: bool = True  # False: the cluster did not answer (its coordinator down, say)

    @property
    def worst_s(self) -> float:
        """Seconds behind, the worst group; infinite when unknown (not taken)."""
        return max(self.seconds.values(), default=0.0) if self.taken else float("inf")


@dataclass
class LagProbe:
    bootstrap: list[str]
    namespace: str
    samples: list[Sample] = field(default_factory=list)
    failures: int = 0  # samples not taken (the cluster between leaders, say)

    async def start(self) -> None:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        await self.admin.start()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, request_timeout_ms=5000
        )
        await self.consumer.start()
        self.groups: list[str] = []

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def find_groups(self) -> list[str]:
        listed = await self.admin.list_consumer_groups()
        self.groups = sorted(g[0] for g in listed if g[0].startswith(self.namespace))
        return self.groups

    def groups_plain(self) -> list[str]:
        return [g.removeprefix(self.namespace) for g in self.groups]

    async def sample(self) -> Sample:
        committed = {g: await self.admin.list_consumer_group_offsets(g) for g in self.groups}
        # A group commits every partition it was given (its positions), so these are all the
        # partitions it reads. (The consumer's own metadata went stale for topics created after
        # it started, and gave no partitions or old ones.)
        tps = sorted({tp for offsets in committed.values() for tp in offsets})
        ends = await self.consumer.end_offsets(tps)
        behind: dict[str, int] = {}
        oldest: dict[str, dict[TopicPartition, int]] = {}
        for group, offsets in committed.items():
            lagging = {tp: o.offset for tp, o in offsets.items() if ends[tp] > o.offset}
            behind[group.removeprefix(self.namespace)] = sum(
                ends[tp] - at for tp, at in lagging.items()
            )
            oldest[group.removeprefix(self.namespace)] = lagging
        wanted = {(tp, at) for lag in oldest.values() for tp, at in lag.items()}
        stamps = await self._timestamps(wanted)
        now_ms = time.time() * 1000
        seconds = {
            g: max(
                ((now_ms - stamps.get((tp, at), now_ms)) / 1000 for tp, at in lag.items()),
                default=0.0,
            )
            for g, lag in oldest.items()
        }
        return Sample(time.monotonic(), behind, seconds)

    async def _timestamps(
        self, wanted: set[tuple[TopicPartition, int]]
    ) -> dict[tuple[TopicPartition, int], int]:
        """The timestamp of the message at each (partition, offset). Groups sharing a topic are
        behind at different offsets, so in passes: each pass seeks every partition once, to
        its next offset wanted, and fetches them all together."""
        by_tp: dict[TopicPartition, list[int]] = {}
        for tp, at in wanted:
            by_tp.setdefault(tp, []).append(at)
        found: dict[tuple[TopicPartition, int], int] = {}
        for depth in range(max((len(v) for v in by_tp.values()), default=0)):
            this = {tp: sorted(v)[depth] for tp, v in by_tp.items() if len(v) > depth}
            self.consumer.assign(list(this))
            for tp, at in this.items():
                self.consumer.seek(tp, at)
            deadline = time.monotonic() + 2
            while len(this) > sum((tp, at) in found for tp, at in this.items()):
                if time.monotonic() > deadline:
                    break
                got = await self.consumer.getmany(timeout_ms=500, max_records=len(this) * 10)
                for tp, records in got.items():
                    if records and (tp, this[tp]) not in found:
                        found[(tp, this[tp])] = records[0].timestamp
        return found

    async def watch(self, every_s: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.samples.append(await asyncio.wait_for(self.sample(), 10))
            except Exception:  # the cluster mid-election: unknown, so not caught up
                self.failures += 1
                self.samples.append(Sample(time.monotonic(), {}, {}, taken=False))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)


async def read_topic(bootstrap: Sequence[str], topic: str) -> list[ConsumerRecord]:
    """Every message of `topic`, partition by partition, in offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=list(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in tps}
        while any((out[tp][-1].offset + 1 if out[tp] else 0) < ends[tp] for tp in tps):
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                out[tp] += [r for r in records if r.offset < ends[tp]]
        return [r for tp in tps for r in out[tp]]
    finally:
        await consumer.stop()
