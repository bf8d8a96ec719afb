"""`crm-journey serve planning` and `crm-journey serve projections` as two processes on real
Kafka and a fresh PostgreSQL database: the planning service learns a prospect from
`crm.journey`, takes a consultant's note for it and publishes it on `crm.planning`, and the
projections service, which takes no notes itself, lists it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from schemas import topics
from services.common.kafka import KafkaTransport
from tests.infra import fresh_database
from tests.planning.history import created
from tests.processes import crm, poll
from tests.product import KafkaEvents
from tests.sessions import signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SECRET = "planning-secret"


async def publish_journey(bootstrap: str, namespace: str, prospect: str) -> None:
    """As the journey's relay does: keyed by the prospect, on `crm.journey`."""
    publisher = KafkaTransport(bootstrap, namespace=namespace, client_id="journey-test")
    await publisher.start()
    try:
        await publisher.publish([created(prospect)])
    finally:
        await publisher.stop()


def test_a_note_posted_to_the_planning_service_reaches_the_projections_through_kafka(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    namespace = f"plan{unique}."
    env = {
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": namespace,
        "CRM_DATABASE_URL": fresh_database(postgres_url, f"planning_it_{unique}"),
        "CRM_SESSION_SECRET": SECRET,
    }
    token = signed_in(env["CRM_DATABASE_URL"], SECRET, "sam@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    path = "/v1/prospects/v-kafka/roadmap-notes"
    asyncio.run(publish_journey(kafka_bootstrap, namespace, "v-kafka"))

    with (
        crm(["serve", "planning"], tmp_path / "planning.log", env) as planning,
        crm(["serve", "projections"], tmp_path / "projections.log", env) as projections,
    ):
        recorded = poll(
            lambda: httpx.post(f"{planning}{path}", json={"text": "Phase 1"}, headers=auth),
            lambda r: r.status_code == 202,
            timeout=60,
        )
        assert recorded.status_code == 202, recorded.text
        listed = poll(
            lambda: httpx.get(f"{projections}{path}", headers=auth),
            lambda r: r.status_code == 200 and len(r.json()["notes"]) == 1,
            timeout=60,
        )
        unknown = httpx.post(
            f"{planning}/v1/prospects/v-kafkq/roadmap-notes", json={"text": "x"}, headers=auth
        )
        read_only = httpx.post(f"{projections}{path}", json={"text": "Phase 2"}, headers=auth)
        metrics = httpx.get(f"{planning}/metrics").text

    assert listed.json()["notes"] == [recorded.json()]
    assert recorded.json()["author"] == "sam@example.com"
    assert KafkaEvents(kafka_bootstrap, namespace).published(topics.PLANNING) == 1
    assert unknown.status_code == 404
    assert read_only.status_code == 405, "projections read notes; they no longer take them"
    assert "crm_planning_roadmap_notes_total 1.0" in metrics
    assert 'crm_events_handled_total{group="planning"}' in metrics
