"""Two ingest instances on one PostgreSQL database and real Kafka: an event id is bound to one
body across instances, even when both see it for the first time at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from schemas.producer import SENT_EVENT
from services.common.app import assemble
from services.common.db import create_engine
from services.common.idempotency import fingerprint
from services.common.kafka import KafkaTransport
from services.common.settings import CommonSettings
from services.ingest import store
from services.ingest.main import build
from services.ingest.settings import IngestSettings
from tests.infra import create_database

PRODUCER = {"Authorization": "Bearer pk-twice"}


def click(event_id: str, points: int) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "event_id": event_id,
        "visitor_id": "v-twice",
        "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": points},
    }


@pytest.fixture
async def database(postgres_url: str, unique: str) -> str:
    return await create_database(postgres_url, f"ingest_twice_{unique}")


@pytest.fixture
async def instances(
    kafka_bootstrap: str, database: str, unique: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    url = database
    async with AsyncExitStack() as stack:
        clients = []
        for n in range(2):
            transport = KafkaTransport(kafka_bootstrap, namespace=f"twice{unique}.")
            parts = build(create_engine(url), transport, IngestSettings(), CommonSettings())
            app = assemble(
                f"ingest {n}",
                [parts],
                transport,
                CommonSettings(),
                producer_keys=frozenset({"pk-twice"}),
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            asgi = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=asgi, base_url=f"http://ingest-{n}")
                )
            )
        yield clients


async def test_the_first_body_to_reach_either_instance_binds_the_event_id(
    instances: list[httpx.AsyncClient],
) -> None:
    for _ in range(10):
        event_id = str(uuid.uuid4())
        answers = await asyncio.gather(
            *(
                api.post("/v1/events", json=click(event_id, points=n + 1), headers=PRODUCER)
                for n, api in enumerate(instances)
            )
        )
        assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
        winner = next(n for n, a in enumerate(answers) if a.status_code == 202)
        for api in instances:  # the winner's body is accepted again by either instance
            again = await api.post(
                "/v1/events", json=click(event_id, points=winner + 1), headers=PRODUCER
            )
            assert again.status_code == 202, again.text


async def test_readiness_includes_the_database(instances: list[httpx.AsyncClient]) -> None:
    ready = await instances[0].get("/readyz")
    assert ready.json() == {"ready": True, "checks": {"transport": True, "ingest": True}}


async def test_an_id_bound_before_the_fingerprint_changed_still_takes_its_retry(
    instances: list[httpx.AsyncClient], database: str
) -> None:
    """Ids bound before 2026-12 hold the fingerprint of the event's `model_dump`: a retry of
    the same body after the upgrade is accepted, another body under that id still refused."""
    event_id, sent = str(uuid.uuid4()), click(str(uuid.uuid4()), points=3)
    sent["event_id"] = event_id
    engine = create_engine(database)
    try:
        legacy = fingerprint(SENT_EVENT.validate_python(sent).model_dump(mode="json"))
        assert await store.reused(engine, {event_id: legacy}, datetime.now(UTC)) == set()
    finally:
        await engine.dispose()

    retried = await instances[0].post("/v1/events", json=sent, headers=PRODUCER)
    assert retried.status_code == 202, retried.text
    other = await instances[1].post("/v1/events", json=click(event_id, 4), headers=PRODUCER)
    assert other.status_code == 409, other.text
