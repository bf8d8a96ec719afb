"""`crm-journey serve projections` in a child process, on real Kafka (three partitions) and a
fresh PostgreSQL database: the journey's events on `crm.journey` become the board."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from schemas.envelope import Event
from services.common.kafka import KafkaTransport
from services.projections.models.board import EMPTY, project
from tests.infra import fresh_database
from tests.processes import crm, poll
from tests.projections.seeded import journey_log
from tests.sessions import signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SECRET = "projections-secret"


async def publish(bootstrap: str, namespace: str, events: Sequence[Event]) -> None:
    """As the journey's relay does: keyed by prospect, in order, on `crm.journey`."""
    publisher = KafkaTransport(bootstrap, namespace=namespace, client_id="journey-test")
    await publisher.start()
    try:
        await publisher.publish(events)
    finally:
        await publisher.stop()


def test_the_served_projections_service_builds_the_board_from_kafka(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    namespace = f"prj{unique}."
    url = fresh_database(postgres_url, f"projections_it_{unique}")
    log = journey_log(seed=5, visitors=40).events
    expected = project(EMPTY, log).rows
    assert 10 < len(expected) <= 30
    want = {pid: (r.stage, r.points, r.clicks) for pid, r in expected.items()}
    asyncio.run(publish(kafka_bootstrap, namespace, log))

    env = {
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": namespace,
        "CRM_DATABASE_URL": url,
        "CRM_SESSION_SECRET": SECRET,
        "CRM_PROJECTIONS_BATCH_SIZE": "50",
    }
    token = signed_in(url, SECRET, "sam@example.com")
    with crm(["serve", "projections"], tmp_path / "projections.log", env) as base:

        def board() -> dict[str, object]:
            answer = httpx.get(
                f"{base}/v1/board",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200, answer.text
            found: dict[str, object] = answer.json()
            return found

        def cells(found: dict[str, object]) -> dict[str, tuple[int, int, int]]:
            rows = found["rows"]
            assert isinstance(rows, list)
            return {r["prospect_id"]: (r["stage"], r["points"], r["clicks"]) for r in rows}

        # The count can match midway (before later merges land): wait for the rows themselves.
        found = poll(board, lambda b: cells(b) == want, timeout=90)
        page = httpx.get(f"{base}/customerjourney", cookies={"crm_session": token})

    assert cells(found) == want
    assert found["total"] == len(expected)
    assert page.status_code == 200
    assert page.text.count('class="card"') == len(expected), "every column holds up to 30"
