"""Journey and alerts together in one process on real Kafka and a fresh PostgreSQL database:
website clicks on `crm.web` become alerts consultants list, acknowledge and action."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from services.alerts.main import build as build_alerts
from services.alerts.settings import AlertsSettings
from services.common.app import assemble
from services.common.db import create_engine
from services.common.kafka import KafkaTransport
from services.common.sessions import Sessions
from services.common.settings import CommonSettings
from services.ingest.main import build as build_ingest
from services.ingest.settings import IngestSettings
from services.journey.main import build as build_journey
from services.journey.settings import JourneySettings
from tests.contract.logs import _read_kafka
from tests.infra import create_database
from tests.sessions import session_token

SECRET = "alerts-secret"
PRODUCER = {"Authorization": "Bearer pk-alerts-test"}
# Sam's session in each test's own accounts, set by the `running` fixture.
AUTH: dict[str, str] = {}
T = TypeVar("T")


@dataclass
class Running:
    api: httpx.AsyncClient
    transport: KafkaTransport
    namespace: str
    bootstrap: str

    async def click(self, visitor: str, stage: int, points: int, at: datetime) -> None:
        """Post the click to ingest, as a website does."""
        sent = {
            "type": "cta.clicked",
            "event_id": str(uuid.uuid4()),
            "occurred_at": at.isoformat(),
            "visitor_id": visitor,
            "email": f"{visitor}@example.com",
            "cta": {
                "id": f"stage{stage}-cta",
                "label": f"Stage {stage}",
                "stage": stage,
                "points": points,
            },
            "page": "https://example.com/pricing",
        }
        answer = await self.api.post("/v1/events", json=sent, headers=PRODUCER)
        assert answer.status_code == 202, answer.text

    async def alerts(self, **query: str) -> list[dict[str, Any]]:
        answer = await self.api.get("/v1/alerts", params=query, headers=AUTH)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["alerts"]
        return found

    async def published(self) -> list[str]:
        records = await _read_kafka(self.bootstrap, self.namespace + "crm.alerts")
        return [dict(r.headers)["type"].decode() for r in records]


@pytest.fixture
async def running(kafka_bootstrap: str, postgres_url: str, unique: str) -> AsyncIterator[Running]:
    url = await create_database(postgres_url, f"alerts_it_{unique}")
    namespace = f"alr{unique}."
    transport = KafkaTransport(kafka_bootstrap, namespace=namespace, client_id="alerts-test")
    settings = AlertsSettings(sweep_interval_seconds=0.2, escalate_after_minutes=60)
    accounts = create_engine(url)
    AUTH["Authorization"] = f"Bearer {await session_token(accounts, SECRET, 'sam@example.com')}"
    app = assemble(
        "ingest, journey and alerts",
        [
            build_ingest(create_engine(url), transport, IngestSettings(), CommonSettings()),
            build_journey(create_engine(url), transport, JourneySettings()),
            build_alerts(accounts, transport, settings, CommonSettings(), session_secret=SECRET),
        ],
        transport,
        CommonSettings(),
        session_secret=SECRET,
        producer_keys=frozenset({"pk-alerts-test"}),
        sessions=Sessions(accounts),
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm") as api,
    ):
        yield Running(api, transport, namespace, kafka_bootstrap)


async def until(
    fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 60
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = await fetch()
        if done(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_a_stage2_prospect_clicking_a_stage4_cta_raises_one_high_alert_that_consultants_work(
    running: Running,
) -> None:
    now = datetime.now(UTC)
    await running.click("v-high", 1, 25, now)
    await running.click("v-high", 4, 10, now + timedelta(seconds=1))

    [alert] = await until(lambda: running.alerts(prospect_id="v-high"), lambda a: len(a) > 0)
    assert (alert["priority"], alert["status"], alert["count"]) == ("HIGH", "pending", 1)
    assert (alert["current_stage"], alert["target_stage"], alert["gap"]) == (2, 4, 2)
    assert alert["email"] == "v-high@example.com"
    assert alert["entry_point"]["cta_id"] == "stage1-cta"
    assert [c["cta_id"] for c in alert["recent_clicks"]] == ["stage4-cta", "stage1-cta"]
    assert alert["recommended_action"] == "Phone follow-up within 24 hours"

    one = f"/v1/alerts/{alert['id']}"
    acked = await running.api.post(f"{one}/acknowledge", headers=AUTH)
    assert acked.status_code == 200, acked.text
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == (
        "acknowledged",
        "sam@example.com",
    )
    twice = await running.api.post(f"{one}/acknowledge", headers=AUTH)
    assert twice.status_code == 409
    assert "already acknowledged by sam@example.com" in twice.json()["detail"]

    done = await running.api.post(
        f"{one}/action", json={"note": "called, demo booked"}, headers=AUTH
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["note"]) == ("actioned", "called, demo booked")
    archived = await running.api.post(f"{one}/action", headers=AUTH)
    assert archived.status_code == 409 and "archived" in archived.json()["detail"]

    detail = (await running.api.get(one, headers=AUTH)).json()
    assert [h["kind"] for h in detail["history"]] == [
        "alert.raised",
        "alert.acknowledged",
        "alert.actioned",
    ]
    assert (detail["history"][2]["by"], detail["history"][2]["note"]) == (
        "sam@example.com",
        "called, demo booked",
    )
    assert [a["id"] for a in await running.alerts(status="actioned")] == [alert["id"]]
    assert await running.alerts(status="pending", prospect_id="v-high") == []
    published = await until(running.published, lambda p: len(p) >= 3)
    assert published == ["alert.raised.v1", "alert.acknowledged.v1", "alert.actioned.v1"]


async def test_a_stage1_prospect_clicking_a_stage6_cta_raises_one_urgent_alert_and_a_repeat_counts(
    running: Running,
) -> None:
    now = datetime.now(UTC)
    await running.click("v-urgent", 6, 10, now)
    [alert] = await until(lambda: running.alerts(prospect_id="v-urgent"), lambda a: len(a) > 0)
    assert (alert["priority"], alert["current_stage"], alert["gap"]) == ("URGENT", 1, 5)
    assert alert["recommended_action"].startswith("Call now")

    await running.click("v-urgent", 6, 10, now + timedelta(seconds=5))
    found = await until(
        lambda: running.alerts(prospect_id="v-urgent"), lambda a: bool(a) and a[0]["count"] == 2
    )
    assert [(a["id"], a["count"], a["target_stage"]) for a in found] == [(alert["id"], 2, 6)]
    assert found[0]["last_seen_at"] != found[0]["raised_at"]
    assert len(await running.alerts(priority="URGENT")) == 1
    published = await until(running.published, lambda p: len(p) >= 2)
    assert published == ["alert.raised.v1", "alert.repeated.v1"]


async def test_a_consultant_moving_the_prospect_to_the_target_stage_resolves_its_alert(
    running: Running,
) -> None:
    now = datetime.now(UTC)
    await running.click("v-moved", 1, 25, now)
    await running.click("v-moved", 4, 10, now + timedelta(seconds=1))
    [alert] = await until(lambda: running.alerts(prospect_id="v-moved"), lambda a: len(a) > 0)
    assert (alert["status"], alert["target_stage"]) == ("pending", 4)

    move = {"stage": 4, "reason": "signed the commitment letter"}
    answer = await running.api.post("/v1/prospects/v-moved/stage", json=move, headers=AUTH)
    assert answer.status_code == 200, answer.text

    [after] = await until(
        lambda: running.alerts(prospect_id="v-moved"),
        lambda a: bool(a) and a[0]["status"] != "pending",
    )
    assert (after["status"], after["resolved_by"], after["resolved_stage"]) == (
        "resolved",
        "sam@example.com",
        4,
    )
    assert after["resolved_note"] == "signed the commitment letter"
    one = f"/v1/alerts/{alert['id']}"
    late = await running.api.post(f"{one}/action", headers=AUTH)
    assert late.status_code == 409 and "resolved" in late.json()["detail"]
    detail = (await running.api.get(one, headers=AUTH)).json()
    assert [h["kind"] for h in detail["history"]] == ["alert.raised", "alert.resolved"]
    assert detail["history"][1]["by"] == "sam@example.com"
    published = await until(running.published, lambda p: len(p) >= 2)
    assert published == ["alert.raised.v1", "alert.resolved.v1"]


async def test_the_sweeper_expires_an_alert_raised_over_seven_days_ago(running: Running) -> None:
    raised_at = datetime.now(UTC) - timedelta(days=8)
    await running.click("v-old", 3, 10, raised_at)
    [alert] = await until(
        lambda: running.alerts(prospect_id="v-old"),
        lambda a: bool(a) and a[0]["status"] == "expired",
    )
    assert datetime.fromisoformat(alert["expired_at"]) == raised_at + timedelta(days=7)
    late = await running.api.post(f"/v1/alerts/{alert['id']}/acknowledge", headers=AUTH)
    assert late.status_code == 409 and "expired" in late.json()["detail"]


async def test_alerts_need_a_session_and_say_what_is_wrong_with_a_request(running: Running) -> None:
    anonymous = await running.api.get("/v1/alerts")
    assert anonymous.status_code == 401
    assert (await running.api.post(f"/v1/alerts/{uuid.uuid4()}/acknowledge")).status_code == 401
    unknown = await running.api.post(f"/v1/alerts/{uuid.uuid4()}/acknowledge", headers=AUTH)
    assert unknown.status_code == 404 and "no alert" in unknown.json()["detail"]
    assert (await running.api.get("/v1/alerts/not-an-id", headers=AUTH)).status_code == 404
    bad = await running.api.get("/v1/alerts", params={"status": "open"}, headers=AUTH)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["query.status"]
    cursor = await running.api.get("/v1/alerts", params={"cursor": "nonsense"}, headers=AUTH)
    assert cursor.status_code == 422
    assert [e["field"] for e in cursor.json()["errors"]] == ["query.cursor"]
    action = f"/v1/alerts/{uuid.uuid4()}/action"
    for body, field in [
        ({"note": "x" * 2001}, "note"),
        ({"note": 12}, "note"),
        ({"notes": "called"}, "notes"),
    ]:
        refused = await running.api.post(action, json=body, headers=AUTH)
        assert refused.status_code == 422, body
        assert [e["field"] for e in refused.json()["errors"]] == [field], body
