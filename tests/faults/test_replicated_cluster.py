"""The fault suite's cluster: three KRaft nodes, every topic the product creates replicated three
times with writes acknowledged by two in-sync replicas, so the product's writes go on while the
broker leading a partition is killed with -9, nothing acknowledged is lost, and the node catches
up again after a restart. With every node down, ingest answers 503 within 2 s and takes events
again once the cluster is back."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas import topics
from services.common.app import assemble
from services.common.db import create_engine
from services.common.kafka import KafkaTransport
from services.common.settings import CommonSettings
from services.common.transport import Outgoing
from services.ingest.main import build
from services.ingest.settings import IngestSettings
from tests.faults.cluster import Cluster
from tests.infra import create_database

KEY = "pk-faults"
AUTH = {"Authorization": f"Bearer {KEY}"}


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


def click(event_id: str) -> dict[str, object]:
    return {
        "type": "cta.clicked",
        "event_id": event_id,
        "visitor_id": f"v-{event_id[:8]}",
        "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": 5},
    }


async def test_ingest_answers_503_within_2_s_while_no_broker_is_up_and_accepts_once_back(
    cluster: Cluster, postgres_url: str, unique: str
) -> None:
    url = await create_database(postgres_url, f"ingest_down_{unique}")
    transport = KafkaTransport(cluster.bootstrap, replication_factor=3, namespace=f"dn{unique}.")
    parts = build(create_engine(url), transport, IngestSettings(), CommonSettings())
    app = assemble("ingest", [parts], transport, CommonSettings(), producer_keys=frozenset({KEY}))
    sent = [str(uuid.uuid4()) for _ in range(4)]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://in") as api,
    ):
        assert (await api.post("/v1/events", json=click(sent[0]), headers=AUTH)).status_code == 202
        for node in (1, 2, 3):
            cluster.kill(node)

        began = time.monotonic()
        down = await api.post("/v1/events", json=click(sent[1]), headers=AUTH)
        assert (down.status_code, time.monotonic() - began < 2.0) == (503, True), down.text
        assert down.headers["Retry-After"] == "5"
        assert down.json()["event_ids"] == [sent[1]]  # handed over: retry with this id
        began = time.monotonic()
        still = await api.post("/v1/events", json=click(sent[2]), headers=AUTH)
        assert (still.status_code, time.monotonic() - began < 0.5) == (503, True), still.text
        assert (await api.get("/readyz")).json()["ready"] is False

        await asyncio.to_thread(cluster.start)
        deadline, back = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            back = await api.post("/v1/events", json=click(sent[3]), headers=AUTH)
            if back.status_code == 202:
                break
            await asyncio.sleep(0.5)
        assert back is not None and back.status_code == 202, back and back.text

    values = await read_all(cluster.bootstrap, f"dn{unique}.{topics.WEB}", 3)
    arrived = {json.loads(v)["event_id"] for v in values}
    # The one answered 503 after it was handed over arrived once the cluster was back; the one
    # refused up front never was.
    assert arrived == {sent[0], sent[1], sent[3]}
