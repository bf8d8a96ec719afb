"""The suite's own event loop, on a thread beside the fault injector: the producers and the lag
probe run on it for the whole run; poison messages and the leader lookup are done on it too."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from schemas import topics
from tests.faults.cluster import Cluster
from tests.faults.lag import LagProbe
from tests.faults.producers import Producers
from tests.faults.system import Postgres, System

T = TypeVar("T")


class Driver:
    def __init__(self, bootstrap: list[str], namespace: str, producers: Producers):
        self.bootstrap, self.namespace, self.producers = bootstrap, namespace, producers
        self.probe = LagProbe(bootstrap, namespace)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stopping = asyncio.Event()
        self.sending: Future[None] | None = None
        self.watching: Future[None] | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, events: int, rate: float) -> None:
        self.call(self.probe.start())
        self.call(self.probe.find_groups())
        self.watching = asyncio.run_coroutine_threadsafe(
            self.probe.watch(0.5, self.stopping), self.loop
        )
        self.sending = asyncio.run_coroutine_threadsafe(
            self.producers.run_until(events, rate), self.loop
        )

    def sent_all(self, timeout: float) -> None:
        assert self.sending is not None
        self.sending.result(timeout)

    def settle(self, timeout: float) -> bool:
        """Wait until every group has committed everything (lag 0 on every partition)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            samples = self.probe.samples
            last = samples[-1] if samples else None
            if (
                last
                and last.taken
                and last.at > time.monotonic() - 2
                and not any(last.behind.values())
            ):
                return True
            time.sleep(0.5)
        return False

    def stop_watching(self) -> None:
        if self.watching is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
            self.watching.result(30)
            self.watching = None
            self.call(self.probe.stop())

    def close(self) -> None:
        self.producers.holding = False
        self.stop_watching()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def poison(self, run: str) -> set[str]:
        """Four messages no service can take, put on crm.web past ingest (which would refuse
        them): bytes that are not JSON, JSON that is not an event, a well-formed click whose
        label holds a NUL (PostgreSQL cannot store it: before the catalogue refused it, the
        journey took it and projections failed on it), and a valid event of another topic.
        Returns what the checker finds them by in the dead-letter topics."""
        now = datetime.now(UTC).isoformat()
        not_json = f"\xff poison {run} not an event".encode("latin-1")
        not_event = {"event_id": str(uuid.uuid4()), "type": "cta.clicked.v1", "subject_id": "x"}
        cta = {"id": "cta-poison", "label": "bad\u0000label", "stage": 2, "points": 5}
        nul_id, misrouted_id = str(uuid.uuid4()), str(uuid.uuid4())
        nul: dict[str, object] = {"event_id": nul_id, "type": "cta.clicked.v1", "occurred_at": now}
        nul |= {"subject_id": f"poison-{run}", "cta": cta}
        misrouted = {
            "event_id": misrouted_id,
            "type": "points.awarded.v1",
            "occurred_at": now,
            "subject_id": f"poison-{run}",
            "click_event_id": nul_id,
            "cta": cta | {"label": "fine"},
            **{"stage_before": 1, "gap": 1, "multiplier": 1, "points": 5, "total_points": 5},
        }
        messages = [
            (b"poison-bytes", not_json),
            (b"poison-json", json.dumps(not_event).encode()),
            (f"poison-{run}".encode(), json.dumps(nul).encode()),
            (f"poison-{run}".encode(), json.dumps(misrouted).encode()),
        ]
        self.call(self._publish(messages))
        return {
            not_json.decode("utf-8", "replace"),
            str(not_event["event_id"]),
            nul_id,
            misrouted_id,
        }

    async def _publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        try:
            for key, value in messages:
                await producer.send_and_wait(self.namespace + topics.WEB, value, key=key)
        finally:
            await producer.stop()

    def busiest_leader(self) -> int:
        """The broker id leading the most of the product's partitions."""
        return self.call(self._busiest_leader())

    async def _busiest_leader(self) -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            names = [self.namespace + t for t in topics.ALL]
            leaders: Counter[int] = Counter()
            for topic in await admin.describe_topics(names):
                for p in topic["partitions"]:
                    leaders[p.get("leader", p.get("leader_id"))] += 1
            return leaders.most_common(1)[0][0]
        finally:
            await admin.close()


@contextmanager
def under_load(
    run_dir: Path, cluster: Cluster, run: str, visitors: int, batch: int
) -> Iterator[tuple[System, Postgres, Driver]]:
    """The product started on `cluster` and a PostgreSQL of its own, with producers and the
    lag probe ready on the driver (not yet sending); all of it stopped and cleaned after."""
    postgres = Postgres(run_dir, run)
    system = System(run_dir, cluster, postgres.start(), run)
    driver: Driver | None = None
    try:
        system.start()
        producers = Producers(system.ingest(), run, visitors, clients=4, batch=batch)
        driver = Driver(cluster.bootstrap.split(","), system.namespace, producers)
        yield system, postgres, driver
    finally:
        if driver is not None:
            driver.close()
        system.stop()
        postgres.clean()
