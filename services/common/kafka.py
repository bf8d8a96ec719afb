"""Kafka transport: FastStream consumes (one group per subscription, batches, manual commit after
the handler's effects are stored); an idempotent aiokafka producer with acks=all publishes, keyed
by subject so each prospect's events keep their order. FastStream's `publish_batch` takes no key
and its awaited `publish` is bound by round trips, hence the producer of our own."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from schemas import topics
from schemas.envelope import Event
from services.common import metrics
from services.common.settings import CommonSettings
from services.common.transport import Outgoing, Record, Subscription, TransientError, deliver

log = logging.getLogger(__name__)


# Publishes of at most this many messages share the producer's open batches (see publish_raw).
SHARED_BATCH_UP_TO = 16


class KafkaTransport:
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "crm",
        partitions: int = 3,
        linger_ms: int = 2,
        replication_factor: int = 1,
        namespace: str = "",
        idle_poll_ms: int = 10,
    ):
        self.bootstrap_servers = brokers(bootstrap_servers)
        self.client_id = client_id
        self.partitions = partitions
        self.linger_ms = linger_ms
        self.replication_factor = replication_factor
        # A prefix on every topic name: isolates test runs, or tenants sharing a cluster.
        self.namespace = namespace
        self.idle_poll_ms = idle_poll_ms
        self.broker = KafkaBroker(
            self.bootstrap_servers, client_id=client_id, logger=log, log_level=logging.DEBUG
        )
        self._producer: AIOKafkaProducer | None = None
        self._partitions: dict[str, list[int]] = {}
        self._lag_labels: dict[str, set[tuple[str, str, str]]] = {}
        self._groups: list[str] = []

    @classmethod
    def from_settings(cls, common: CommonSettings, client_id: str) -> KafkaTransport:
        return cls(
            common.kafka_bootstrap_servers,
            client_id=client_id,
            partitions=common.kafka_partitions,
            replication_factor=common.kafka_replication_factor,
            namespace=common.kafka_namespace,
        )

    def subscribe(self, subscription: Subscription) -> None:
        self._groups.append(subscription.group)
        sub = subscription

        async def consume(msg: KafkaMessage) -> None:
            raw: Any = msg.raw_message
            records = [self._record(r) for r in (raw if isinstance(raw, tuple) else (raw,))]
            try:
                await deliver(records, sub, self.publish_raw)
            except TransientError as exc:
                metrics.TRANSIENT_FAILURES.labels(sub.group).inc()
                log.warning("group %s: dependency down, will redeliver: %s", sub.group, exc)
                await msg.nack()
                await asyncio.sleep(min(5.0, sub.retry_backoff_s * 20))
                return
            await msg.ack()
            self._report_lag(sub.group, getattr(msg, "consumer", None), raw)

        consume.__name__ = f"consume_{sub.group}"
        self.broker.subscriber(
            *(self.namespace + t for t in sub.topics),
            group_id=self.namespace + sub.group,
            batch=True,
            max_records=sub.max_batch,
            # FastStream waits this long for records, then, finding none, sleeps as long again
            # before the next fetch: a record arriving meanwhile waits out the sleep. Short, so an
            # idle consumer adds at most this to a click's way to its alert (it was 50 ms, per
            # hop, and the largest part of the p99).
            batch_timeout_ms=self.idle_poll_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_records_only,
        )(consume)

    async def start(self) -> None:
        await ensure_topics(
            self.bootstrap_servers,
            [self.namespace + t for t in (*topics.ALL, *map(topics.dead_letter, self._groups))],
            self.partitions,
            self.replication_factor,
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=self.linger_ms,
            max_batch_size=256 * 1024,
        )
        await self._producer.start()
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, events: Sequence[Event]) -> None:
        await self.publish_raw([Outgoing.of(e) for e in events])

    async def publish_raw(self, messages: Sequence[Outgoing]) -> None:
        """Keyed like `send()` (murmur2, as the Java client), but records go straight into one
        batch per partition: several times cheaper per message, same per-key order. A few
        messages go through `send()` instead: a produce request carries one batch per partition,
        so concurrent small publishes (single events posted by many clients) each in a batch of
        their own would queue one round trip after another; `send()` lets them share batches."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("the Kafka transport is not started")
        if len(messages) <= SHARED_BATCH_UP_TO:
            await self._send_each(producer, messages)
            return
        open_batches: dict[tuple[str, int], Any] = {}
        futures = []
        for m in messages:
            topic = self.namespace + m.topic
            target = (topic, await self._partition(producer, topic, m.key))
            batch = open_batches.get(target)
            if batch is None:
                batch = open_batches[target] = producer.create_batch()
            if (
                batch.append(key=m.key, value=m.value, timestamp=None, headers=list(m.headers))
                is None
            ):
                futures.append(await producer.send_batch(batch, target[0], partition=target[1]))
                batch = open_batches[target] = producer.create_batch()
                headers = list(m.headers)
                if batch.append(key=m.key, value=m.value, timestamp=None, headers=headers) is None:
                    # Larger than a whole batch: send() takes it up to max_request_size, or
                    # raises MessageSizeTooLargeError.
                    sent = await producer.send(
                        topic, m.value, key=m.key, partition=target[1], headers=headers
                    )
                    futures.append(sent)
                    del open_batches[target]
        for (topic, partition), batch in open_batches.items():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)
        for topic, n in Counter(m.topic for m in messages).items():
            metrics.PUBLISHED.labels(topic).inc(n)

    async def _partition(self, producer: AIOKafkaProducer, topic: str, key: bytes) -> int:
        """The key's partition, as the Java client's keyed partitioner picks it."""
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = sorted(await producer.partitions_for(topic))
        return partitions[_partition_index(key, len(partitions))]

    async def _send_each(self, producer: AIOKafkaProducer, messages: Sequence[Outgoing]) -> None:
        futures = []
        for m in messages:
            topic = self.namespace + m.topic
            partition = await self._partition(producer, topic, m.key)
            futures.append(
                await producer.send(
                    topic, m.value, key=m.key, partition=partition, headers=list(m.headers)
                )
            )
        await asyncio.gather(*futures)
        for topic, n in Counter(m.topic for m in messages).items():
            metrics.PUBLISHED.labels(topic).inc(n)

    def _report_lag(self, group: str, consumer: Any, raw: Any) -> None:
        highwater = getattr(consumer, "highwater", None)
        if highwater is None:
            return
        last: dict[TopicPartition, int] = {}
        for r in raw if isinstance(raw, tuple) else (raw,):
            tp = TopicPartition(r.topic, r.partition)
            last[tp] = max(r.offset, last.get(tp, -1))
        reported = self._lag_labels.setdefault(group, set())
        for tp, offset in last.items():
            end = highwater(tp)
            if end is not None:
                labels = (group, tp.topic.removeprefix(self.namespace), str(tp.partition))
                metrics.CONSUMER_LAG.labels(*labels).set(max(0, end - offset - 1))
                reported.add(labels)
        # A partition that went to another instance in a rebalance is no longer this one's lag.
        assigned = {
            (group, tp.topic.removeprefix(self.namespace), str(tp.partition))
            for tp in consumer.assignment()
        }
        for labels in reported - assigned:
            metrics.CONSUMER_LAG.remove(*labels)
            reported.discard(labels)

    def _record(self, r: Any) -> Record:
        topic = r.topic.removeprefix(self.namespace)
        return Record(topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))


@functools.lru_cache(maxsize=65536)
def _partition_index(key: bytes, count: int) -> int:
    """The Java client's keyed partition (murmur2), as aiokafka's DefaultPartitioner computes it:
    pure Python, so remembered for the keys seen lately."""
    return (murmur2(key) & 0x7FFFFFFF) % count


async def _raw_records_only(_message: Any) -> None:
    """The handler reads the raw records; skip FastStream's JSON decoding of every body."""
    return None


# The log is the system of record: read models and rescoring replay it from its start, so its
# topics keep every event (the broker's default would delete them after 7 days).
KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}


def brokers(bootstrap_servers: str | Sequence[str]) -> list[str]:
    """`host:port,host:port` (CRM_KAFKA_BOOTSTRAP_SERVERS) as the list the clients need: given
    one string, aiokafka takes it as one host, so a replicated cluster's list never connected."""
    if isinstance(bootstrap_servers, str):
        bootstrap_servers = bootstrap_servers.split(",")
    found = [s.strip() for s in bootstrap_servers if s.strip()]
    if not found:
        raise ValueError("no Kafka bootstrap server given")
    return found


async def ensure_topics(
    bootstrap_servers: str | Sequence[str],
    names: Iterable[str],
    partitions: int,
    replication_factor: int = 1,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=brokers(bootstrap_servers))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(set(names) - existing)
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            n,
                            num_partitions=partitions,
                            replication_factor=replication_factor,
                            topic_configs=KEEP_FOREVER,
                        )
                        for n in missing
                    ]
                )
    finally:
        await admin.close()
