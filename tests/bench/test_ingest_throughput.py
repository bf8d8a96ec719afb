"""Ingest over HTTP against the raw Kafka limit it sits on, measured in one run on the same broker:
first aiokafka's keyed `send()` (acks=all, idempotent, linger 5 ms, 16 KiB batches: the figure
`../shared/tools/kafka-raw-bench.py` calls its default row, re-measured here because the repo must
not depend on that tool), then `crm-journey serve ingest` taking clicks on `POST /v1/events`: in
batches of 100 (without and with client event ids, which ingest checks against its fingerprint
table) and as single events from 50 concurrent clients. Every request body is encoded before the
clock starts; each run ends when every answer (202, given once the events are on Kafka) is in.
Prints events/s, the ratio to raw `send()` (target: batched HTTP >= 50 %) and the ingest
process's CPU per event; asserts only that every request was accepted. A second test sends
clicks through Segment's `/v1/batch` with the real `segment-analytics-python` SDK as client
(its own consumer threads, batches of 100, message ids bound like client event ids).

    CRM_BENCH_INGEST_EVENTS=100000 make bench
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from segment.analytics import Client as SegmentClient

from tests.bench.test_alert_latency import cpu_s
from tests.infra import fresh_database
from tests.processes import crm_process

pytestmark = pytest.mark.bench
EVENTS = int(os.environ.get("CRM_BENCH_INGEST_EVENTS", "100000"))
SINGLES = int(os.environ.get("CRM_BENCH_INGEST_SINGLES", "10000"))
SEGMENT_EVENTS = int(os.environ.get("CRM_BENCH_INGEST_SEGMENT_EVENTS", "50000"))
SEGMENT_THREADS = 4
BATCH, BATCH_CLIENTS, SINGLE_CLIENTS, TARGET = 100, 8, 50, 0.5
KEY = "pk-bench"


def click(i: int, with_id: bool) -> dict[str, object]:
    event: dict[str, object] = {
        "type": "cta.clicked",
        "visitor_id": f"v-{i % 5000}",
        "cta": {"id": f"cta-{i % 40}", "label": "Read the guide", "stage": 1 + i % 6, "points": 5},
        "page": "https://example.com/guides/selling-without-pushing",
        "utm": {"source": "newsletter", "medium": "email", "campaign": "bench"},
    }
    if with_id:
        event["event_id"] = str(uuid.uuid4())
    return event


def batches(n: int, with_id: bool) -> list[bytes]:
    return [
        json.dumps({"events": [click(i, with_id) for i in range(s, min(n, s + BATCH))]}).encode()
        for s in range(0, n, BATCH)
    ]


async def raw_send(bootstrap: str, n: int) -> float:
    """Keyed `send()` of n click-sized messages to a fresh 3-partition topic: msg/s."""
    topic = f"rawbench-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    await admin.close()
    await asyncio.sleep(0.5)  # leadership settles
    messages = [(f"v-{i % 5000}".encode(), json.dumps(click(i, True)).encode()) for i in range(n)]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value=v, key=k) for k, v in messages]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


class Connection:
    """A minimal HTTP/1.1 keep-alive client for the load generator: httpx spent about 4 ms of
    CPU per request here (50 clients), more than ingest itself, on the same two cores."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    async def __aenter__(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()

    async def post(self, body: bytes) -> int:
        self.writer.write(
            b"POST /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (self.host.encode(), KEY.encode(), len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        await self.reader.readexactly(length)
        return int(head.split(b" ", 2)[1])


async def posted(base: str, bodies: list[bytes], clients: int) -> tuple[float, list[int]]:
    """Post every body, `clients` at a time over kept-alive connections: seconds, statuses."""
    url = httpx.URL(base)
    host, port = str(url.host), int(url.port or 80)
    queue = list(reversed(bodies))
    statuses: list[int] = []

    async def client() -> None:
        async with Connection(host, port) as connection:
            while queue:
                statuses.append(await connection.post(queue.pop()))

    async with Connection(host, port) as warm:
        await warm.post(bodies[0])  # topics and the producer warmed
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, statuses


def measured(
    pid: int, run: Callable[[], Coroutine[Any, Any, tuple[float, list[int]]]]
) -> tuple[float, list[int], float]:
    """The run's seconds and statuses, and the CPU seconds ingest spent meanwhile."""
    before = cpu_s(pid)
    seconds, statuses = asyncio.run(run())
    return seconds, statuses, cpu_s(pid) - before


def ingest_env(kafka_bootstrap: str, postgres_url: str, unique: str) -> dict[str, str]:
    return {
        "CRM_SESSION_SECRET": "bench-secret",
        "CRM_INGEST_API_KEYS": KEY,
        "CRM_INGEST_KEY_EVENTS_PER_SECOND": "0",  # the benchmark is the only producer
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"ingest{unique}.",
        "CRM_DATABASE_URL": fresh_database(postgres_url, f"ingest_{unique}"),
        "CRM_LOG_LEVEL": "WARNING",
    }


def test_http_ingest_against_raw_kafka_send(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    plain, with_ids = batches(EVENTS, False), batches(EVENTS, True)
    singles = [json.dumps(click(i, False)).encode() for i in range(SINGLES)]
    env = ingest_env(kafka_bootstrap, postgres_url, unique)
    # The load generator's own collections would stall it and count against ingest.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        raw = asyncio.run(raw_send(kafka_bootstrap, EVENTS))
        with crm_process(["serve", "ingest"], tmp_path / "ingest.log", env) as ingest:
            pid, base = ingest.process.pid, ingest.base
            runs = {
                f"batches of {BATCH}": (
                    EVENTS,
                    measured(pid, lambda: posted(base, plain, BATCH_CLIENTS)),
                ),
                f"batches of {BATCH}, client event ids": (
                    EVENTS,
                    measured(pid, lambda: posted(base, with_ids, BATCH_CLIENTS)),
                ),
                f"single events, {SINGLE_CLIENTS} clients": (
                    SINGLES,
                    measured(pid, lambda: posted(base, singles, SINGLE_CLIENTS)),
                ),
            }
    finally:
        gc.enable()
        gc.unfreeze()

    print(f"\n[bench] raw aiokafka keyed send() (acks=all, linger 5 ms): {raw:>9,.0f} msg/s")
    for name, (n, (seconds, statuses, cpu)) in runs.items():
        rate = n / seconds
        print(
            f"[bench] HTTP ingest, {name:34s} {rate:>9,.0f} events/s = {rate / raw:4.0%} of raw "
            f"send() (target batched >= {TARGET:.0%}); ingest CPU {cpu * 1e6 / n:,.0f} µs/event"
        )
        assert set(statuses) == {202}, f"{name}: {sorted(set(statuses))}"


def test_segment_batch_path_with_the_python_sdk(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    n = SEGMENT_EVENTS
    raw = asyncio.run(raw_send(kafka_bootstrap, n))
    env = ingest_env(kafka_bootstrap, postgres_url, unique)
    errors: list[Exception] = []
    with crm_process(["serve", "ingest"], tmp_path / "ingest.log", env) as ingest:
        client = SegmentClient(
            KEY,
            host=ingest.base,
            thread=SEGMENT_THREADS,
            max_queue_size=n + 1,
            upload_interval=0.05,
            on_error=lambda e, _: errors.append(e),
        )
        client.track(anonymous_id="v-warm", event="CTA Clicked", properties=sdk_click(0))
        client.flush()
        before, started = cpu_s(ingest.process.pid), time.perf_counter()
        for i in range(n):
            client.track(anonymous_id=f"v-{i % 5000}", event="CTA Clicked", properties=sdk_click(i))
        client.flush()  # returns once every queued message was sent and answered
        seconds, cpu = time.perf_counter() - started, cpu_s(ingest.process.pid) - before
        client.join()
        published = metric(ingest.base, "crm_ingest_events_accepted_total")

    rate = n / seconds
    print(f"\n[bench] raw aiokafka keyed send() (acks=all, linger 5 ms): {raw:>9,.0f} msg/s")
    print(
        f"[bench] Segment /v1/batch, segment-analytics-python ({SEGMENT_THREADS} threads) "
        f"{rate:>9,.0f} events/s = {rate / raw:4.0%} of raw send(); ingest CPU "
        f"{cpu * 1e6 / n:,.0f} µs/event (the SDK, in this process, shares the two cores)"
    )
    assert errors == []
    assert published == n + 1, f"ingest published {published} of {n + 1} messages"


def sdk_click(i: int) -> dict[str, object]:
    return {"cta_id": f"cta-{i % 40}", "label": "Read the guide", "stage": 1 + i % 6, "points": 5}


def metric(base: str, name: str) -> float:
    """The sum of a counter's samples on the service's /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )
