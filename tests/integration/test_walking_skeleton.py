"""The walking skeleton end to end, in both modes: a click posted to ingest becomes a prospect in
Stage 1 with its entry point, read back through the journey API."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.infra import fresh_database
from tests.processes import crm, poll
from tests.sessions import embedded_accounts, signed_in

SECRET = "skeleton-secret"
KEY = "pk-skeleton"
EMAIL = "consultant@example.com"


def click(visitor: str) -> dict[str, object]:
    return {
        "type": "cta.clicked",
        "occurred_at": "2026-11-24T10:00:00Z",
        "visitor_id": visitor,
        "cta": {"id": "download-guide", "label": "Download the guide", "stage": 2, "points": 10},
        "page": "https://example.com/guide",
        "utm": {"source": "newsletter", "medium": "email", "campaign": "winter"},
    }


def post_and_read(ingest: str, journey: str, visitor: str, token: str) -> dict[str, object]:
    accepted = httpx.post(
        f"{ingest}/v1/events", json=click(visitor), headers={"Authorization": f"Bearer {KEY}"}
    )
    assert accepted.status_code == 202, accepted.text
    found = poll(
        lambda: httpx.get(
            f"{journey}/v1/prospects/{visitor}", headers={"Authorization": f"Bearer {token}"}
        ),
        lambda r: r.status_code == 200,
        timeout=60,
    )
    assert found.status_code == 200, found.text
    body: dict[str, object] = found.json()
    return body


def assert_stage_1_with_entry_point(prospect: dict[str, object]) -> None:
    assert prospect["stage"] == 1
    entry = prospect["entry_point"]
    assert isinstance(entry, dict)
    assert (entry["cta_id"], entry["page"], entry["utm"]["campaign"]) == (
        "download-guide",
        "https://example.com/guide",
        "winter",
    )


def test_embedded_one_process_sqlite_no_kafka(tmp_path: Path) -> None:
    env = {
        "CRM_INGEST_API_KEYS": KEY,
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
    }
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    with crm(["run", "--data-dir", str(tmp_path)], tmp_path / "run.log", env) as base:
        token = signed_in(embedded_accounts(tmp_path), SECRET, EMAIL)
        assert_stage_1_with_entry_point(post_and_read(base, base, visitor, token))
    assert sorted(p.name for p in tmp_path.glob("*.db")) == [
        "alerts.db",
        "billing.db",
        "content.db",
        "events.db",
        "ingest.db",
        "journey.db",
        "planning.db",
        "projections.db",
    ]

    with crm(["run", "--data-dir", str(tmp_path)], tmp_path / "rerun.log", env) as base:
        again = httpx.get(
            f"{base}/v1/prospects/{visitor}", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.status_code == 200
        assert again.json()["clicks"] == 1, "a restart must not process the click again"


def test_distributed_ingest_journey_and_alerts_as_separate_processes_on_kafka_and_postgres(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, unique: str
) -> None:
    env = {
        "CRM_INGEST_API_KEYS": KEY,
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"skel{unique}.",
        "CRM_DATABASE_URL": fresh_database(postgres_url, f"skel_{unique}"),
    }
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    with (
        crm(["serve", "ingest"], tmp_path / "ingest.log", env) as ingest,
        crm(["serve", "journey"], tmp_path / "journey.log", env) as journey,
        crm(["serve", "alerts"], tmp_path / "alerts.log", env) as alerts,
    ):
        assert len({ingest, journey, alerts}) == 3
        token = signed_in(env["CRM_DATABASE_URL"], SECRET, EMAIL)
        assert_stage_1_with_entry_point(post_and_read(ingest, journey, visitor, token))

        skip = {**click(visitor), "cta": {"id": "buy", "label": "Buy", "stage": 6, "points": 5}}
        auth = {"Authorization": f"Bearer {KEY}"}
        assert httpx.post(f"{ingest}/v1/events", json=skip, headers=auth).status_code == 202
        consultant = {"Authorization": f"Bearer {token}"}
        raised = poll(
            lambda: httpx.get(f"{alerts}/v1/alerts?prospect_id={visitor}", headers=consultant),
            lambda r: r.status_code == 200 and len(r.json()["alerts"]) == 1,
            timeout=60,
        ).json()["alerts"]
        assert [(a["priority"], a["current_stage"], a["target_stage"]) for a in raised] == [
            ("URGENT", 1, 6)
        ]
        assert httpx.get(f"{ingest}/v1/prospects/{visitor}").status_code == 404
        metrics = httpx.get(f"{journey}/metrics").text
        assert 'crm_events_handled_total{group="journey"}' in metrics
        assert 'crm_consumer_lag_events{group="journey",partition=' in metrics
