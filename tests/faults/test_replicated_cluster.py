"""The fault suite's cluster: three KRaft nodes, every topic the product creates replicated three
times with writes acknowledged by two in-sync replicas, so the product's writes go on while the
broker leading a partition is killed with -9, nothing acknowledged is lost, and the node catches
up again after a restart."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas import topics
from services.common.kafka import KafkaTransport
from services.common.transport import Outgoing
from tests.faults.cluster import Cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    port = int(os.environ.get("CRM_KAFKA_CLUSTER_PORT", "19192"))
    found = Cluster(
        tmp_path_factory.mktemp("cluster"),
        port,
        int(os.environ.get("CRM_KAFKA_CLUSTER_CONTROLLER_PORT", str(port + 100))),
    )
    found.start()
    try:
        yield found
    finally:
        found.clean()


async def partitions_of(bootstrap: str, topic: str) -> list[dict[str, object]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return list(described["partitions"])
    finally:
        await admin.close()


async def broker_setting(bootstrap: str, name: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [answer] = await admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        for resource in answer.resources:
            for entry in resource[4]:
                if entry[0] == name:
                    return str(entry[1])
        raise AssertionError(f"broker 1 does not report {name}")
    finally:
        await admin.close()


async def read_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        deadline = time.monotonic() + 60
        while len(values) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values += [r.value for r in records if r.value is not None]
        return values
    finally:
        await consumer.stop()


def messages(start: int, stop: int) -> list[Outgoing]:
    return [
        Outgoing(topics.WEB, f"v-{i % 17}".encode(), f'{{"n": {i}}}'.encode())
        for i in range(start, stop)
    ]


async def test_writes_survive_the_partition_leader_killed_and_the_node_catches_up(
    cluster: Cluster, unique: str
) -> None:
    transport = KafkaTransport(
        cluster.bootstrap, replication_factor=3, namespace=f"rf{unique}.", client_id="rf"
    )
    await transport.start()
    topic = f"rf{unique}.{topics.WEB}"
    try:
        placed = await partitions_of(cluster.bootstrap, topic)
        assert len(placed) == 3
        assert all(len(p["replicas"]) == 3 and len(p["isr"]) == 3 for p in placed), placed  # type: ignore[arg-type]
        assert await broker_setting(cluster.bootstrap, "min.insync.replicas") == "2"

        await transport.publish_raw(messages(0, 300))
        leader = int(next(p["leader"] for p in placed if p["partition"] == 0))  # type: ignore[call-overload]
        cluster.kill(leader)
        # acks=all still completes with the two replicas left in sync (leadership moves first).
        await asyncio.wait_for(transport.publish_raw(messages(300, 600)), 60)
        cluster.restart(leader)

        values = await read_all(cluster.bootstrap, topic, 600)
        assert sorted(values) == sorted(m.value for m in messages(0, 600))

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            placed = await partitions_of(cluster.bootstrap, topic)
            if all(len(p["isr"]) == 3 for p in placed):  # type: ignore[arg-type]
                break
            await asyncio.sleep(1)
        assert all(len(p["isr"]) == 3 for p in placed), f"node {leader} did not catch up: {placed}"  # type: ignore[arg-type]
    finally:
        await transport.stop()
