"""Kafka transport: FastStream consumes (one group per subscription, batches, manual commit after
the handler's effects are stored); an idempotent aiokafka producer with acks=all publishes, keyed
by subject so each prospect's events keep their order. FastStream's `publish_batch` takes no key
and its awaited `publish` is bound by round trips, hence the producer of our own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from schemas import topics
from schemas.envelope import Event
from services.common import metrics
from services.common.transport import Outgoing, Record, Subscription, TransientError, deliver

log = logging.getLogger(__name__)


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
    ):
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.partitions = partitions
        self.linger_ms = linger_ms
        self.replication_factor = replication_factor
        # A prefix on every topic name: isolates test runs, or tenants sharing a cluster.
        self.namespace = namespace
        self.broker = KafkaBroker(
            bootstrap_servers, client_id=client_id, logger=log, log_level=logging.DEBUG
        )
        self._producer: AIOKafkaProducer | None = None
        self._groups: list[str] = []

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
            batch_timeout_ms=50,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
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
        if self._producer is None:
            raise RuntimeError("the Kafka transport is not started")
        # send() only enqueues, in call order, so one key's messages keep their order.
        futures = [
            await self._producer.send(
                self.namespace + m.topic, m.value, key=m.key, headers=list(m.headers)
            )
            for m in messages
        ]
        await asyncio.gather(*futures)
        for m in messages:
            metrics.PUBLISHED.labels(m.topic).inc()

    def _report_lag(self, group: str, consumer: Any, raw: Any) -> None:
        highwater = getattr(consumer, "highwater", None)
        if highwater is None:
            return
        last: dict[TopicPartition, int] = {}
        for r in raw if isinstance(raw, tuple) else (raw,):
            tp = TopicPartition(r.topic, r.partition)
            last[tp] = max(r.offset, last.get(tp, -1))
        for tp, offset in last.items():
            end = highwater(tp)
            if end is not None:
                topic = tp.topic.removeprefix(self.namespace)
                metrics.CONSUMER_LAG.labels(group, topic, str(tp.partition)).set(
                    max(0, end - offset - 1)
                )

    def _record(self, r: Any) -> Record:
        topic = r.topic.removeprefix(self.namespace)
        return Record(topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], partitions: int, replication_factor: int = 1
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(set(names) - existing)
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            n, num_partitions=partitions, replication_factor=replication_factor
                        )
                        for n in missing
                    ]
                )
    finally:
        await admin.close()
