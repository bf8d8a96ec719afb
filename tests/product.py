"""The product in a child process, shared by tests: embedded (`crm-journey run`, as `make run`
starts it) or on real Kafka and PostgreSQL (`crm-journey serve all`)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import topics
from schemas.envelope import Event
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from tests.infra import create_database
from tests.processes import crm, poll
from tests.sessions import embedded_accounts, signed_in
from tests.stripe_signing import WEBHOOK_SECRET, completed, signature

SECRET = "test-session-secret"
KEYS = "pk-site-a,pk-site-b"
T = TypeVar("T")


def in_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end. Playwright's sync API keeps an event loop in the test's
    thread, so `asyncio.run` there would refuse: run it in a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


class EventLog(Protocol):
    """The product's event log as a test reaches it: to count what was published, and to add
    what a service that does not exist yet (content) will publish."""

    def published(self, topic: str) -> int: ...

    def publish(self, events: Sequence[Event]) -> None: ...


@dataclass
class EmbeddedEvents:
    path: Path

    def published(self, topic: str) -> int:
        with sqlite3.connect(self.path) as db:
            query = "SELECT COUNT(*) FROM log WHERE topic = ?"
            return int(db.execute(query, (topic,)).fetchone()[0])

    def publish(self, events: Sequence[Event]) -> None:
        async def publish() -> None:
            log = EmbeddedLog(self.path)
            await log.start()
            try:
                await log.publish(events)
            finally:
                await log.stop()

        in_own_loop(publish())


@dataclass
class KafkaEvents:
    bootstrap: str
    namespace: str

    def published(self, topic: str) -> int:
        """The sum of the topic's end offsets: records only, as the idempotent producer writes
        no transaction markers."""
        return in_own_loop(self._end_offsets(self.namespace + topic))

    async def _end_offsets(self, topic: str) -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
        await consumer.start()
        try:
            # A group-less consumer's own metadata covers only assigned topics: ask the cluster.
            cluster = await consumer._client.fetch_all_metadata()
            partitions = cluster.partitions_for_topic(topic) or set()
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
            return sum(ends.values())
        finally:
            await consumer.stop()

    def publish(self, events: Sequence[Event]) -> None:
        async def publish() -> None:
            producer = KafkaTransport(self.bootstrap, namespace=self.namespace, client_id="test")
            await producer.start()
            try:
                await producer.publish(events)
            finally:
                await producer.stop()

        in_own_loop(publish())


@dataclass
class Product:
    """The product running in a child process, reached over HTTP as its users reach it."""

    base: str
    data_dir: Path
    producer_key: str
    token: str
    log: EventLog
    # `crm-journey users add` options that reach this product's alerts database (accounts).
    accounts: tuple[str, ...]
    accounts_url: str

    def session(self, email: str, role: str = "consultant") -> str:
        """A session token of `email` (an account made if missing), as logging in gives."""
        return signed_in(self.accounts_url, SECRET, email, role)

    def post(
        self, body: object | None = None, *, raw: bytes | None = None, key: str | None = None
    ) -> httpx.Response:
        key = self.producer_key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if raw is not None:
            return httpx.post(f"{self.base}/v1/events", content=raw, headers=headers)
        return httpx.post(f"{self.base}/v1/events", json=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers={"Authorization": f"Bearer {self.token}"})

    def prospect(self, prospect_id: str) -> httpx.Response:
        return self.get(f"/v1/prospects/{prospect_id}")

    def pending_alert(self, prefix: str) -> str:
        """A new visitor's first click, on a Stage 4 CTA (gap 3): its pending HIGH alert's id."""
        visitor = f"{prefix}-{uuid.uuid4().hex[:8]}"
        click = {
            "type": "cta.clicked",
            "visitor_id": visitor,
            "occurred_at": datetime.now(UTC).isoformat(),
            "cta": {"id": "book-demo", "label": "Book a Demo", "stage": 4, "points": 10},
        }
        assert self.post(click).status_code == 202
        found = poll(
            lambda: self.get(f"/v1/alerts?prospect_id={visitor}&status=pending").json()["alerts"],
            lambda alerts: len(alerts) == 1,
        )
        return str(found[0]["id"])

    def buy(self, prospect_id: str, cta_id: str) -> str:
        """The prospect pays for the tier the CTA needs, as on a website: a Checkout Session
        from billing (on stripe-mock), then Stripe's signed `checkout.session.completed`
        webhook; returns the webhook's outcome."""
        headers = {"Authorization": f"Bearer {self.producer_key}"}
        body = {"prospect_id": prospect_id, "cta_id": cta_id}
        started = httpx.post(f"{self.base}/v1/checkout", json=body, headers=headers, timeout=30)
        assert started.status_code == 200, started.text
        session = started.json()
        payload = completed(session["intent_id"], session["checkout_session_id"])
        done = httpx.post(
            f"{self.base}/v1/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": signature(payload)},
        )
        assert done.status_code == 200, done.text
        return str(done.json()["outcome"])

    def published(self) -> int:
        """How many website events ingest has put on the log."""
        return self.log.published(topics.WEB)

    def publish(self, events: Sequence[Event]) -> None:
        """Add events to the product's log, as another service would."""
        self.log.publish(events)


def stripe_env(stripe_api_base: str | None) -> dict[str, str]:
    """Billing on stripe-mock, its webhooks signed with the tests' secret; without a base, no
    Stripe at all (checkouts answer 502)."""
    if stripe_api_base is None:
        return {"STRIPE_API_KEY": ""}
    return {
        "STRIPE_API_KEY": "sk_test_product",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api_base,
    }


def running_product(
    tmp_path_factory: pytest.TempPathFactory, stripe_api_base: str | None = None
) -> Iterator[Product]:
    """`crm-journey run`: the embedded event log and SQLite under a data directory."""
    data_dir = tmp_path_factory.mktemp("crm-data")
    # No Anthropic key: gates answer with fallback copy, and no test reaches the real API.
    env = {
        "CRM_INGEST_API_KEYS": KEYS,
        "CRM_SESSION_SECRET": SECRET,
        "ANTHROPIC_API_KEY": "",
        **stripe_env(stripe_api_base),
    }
    with crm(["run", "--data-dir", str(data_dir)], data_dir / "crm.log", env) as base:
        events = EmbeddedEvents(data_dir / "events.db")
        accounts = ("--data-dir", str(data_dir))
        url = embedded_accounts(data_dir)
        token = signed_in(url, SECRET, "c@example.com", "admin")
        yield Product(base, data_dir, "pk-site-b", token, events, accounts, url)


def running_real_product(
    tmp_path_factory: pytest.TempPathFactory,
    kafka_bootstrap: str,
    postgres_url: str,
    stripe_api_base: str | None = None,
) -> Iterator[Product]:
    """`crm-journey serve all` on the test Kafka, under topic and group names of its own, and a
    fresh PostgreSQL database, so runs (and other tests) never see each other's data."""
    run = uuid.uuid4().hex[:10]
    data_dir = tmp_path_factory.mktemp("crm-serve-all")
    database = in_own_loop(create_database(postgres_url, f"product_{run}"))
    namespace = f"product{run}."
    env = {
        "CRM_INGEST_API_KEYS": KEYS,
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": namespace,
        "CRM_DATABASE_URL": database,
        # Each service in the database of the run, whatever the environment says.
        "CRM_INGEST_DATABASE_URL": database,
        "CRM_JOURNEY_DATABASE_URL": database,
        "CRM_ALERTS_DATABASE_URL": database,
        "CRM_PROJECTIONS_DATABASE_URL": database,
        "CRM_PLANNING_DATABASE_URL": database,
        "CRM_CONTENT_DATABASE_URL": database,
        "CRM_BILLING_DATABASE_URL": database,
        "ANTHROPIC_API_KEY": "",
        **stripe_env(stripe_api_base),
    }
    with crm(["serve", "all"], data_dir / "crm.log", env) as base:
        events = KafkaEvents(kafka_bootstrap, namespace)
        accounts = ("--database-url", database)
        token = signed_in(database, SECRET, "c@example.com", "admin")
        yield Product(base, data_dir, "pk-site-b", token, events, accounts, database)
