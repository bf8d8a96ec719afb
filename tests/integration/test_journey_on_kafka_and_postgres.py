"""The journey service as its own process on real Kafka and PostgreSQL: redelivery after a
killed consumer counts nothing twice; manual moves, timeline and import through the API."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError

from schemas.values import Cta
from schemas.web import CtaClickedV1
from services.common.kafka import KafkaTransport
from services.journey.domain.rules import DEFAULT_RULES
from tests.infra import fresh_database
from tests.processes import crm, crm_process, poll
from tests.sessions import signed_in

SECRET = "journey-secret"
# The admin's session in each test's own database, set by the `env` fixture.
AUTH: dict[str, str] = {}
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(kafka_bootstrap: str, postgres_url: str, unique: str) -> dict[str, str]:
    database = fresh_database(postgres_url, f"jrn_{unique}")
    AUTH["Authorization"] = f"Bearer {signed_in(database, SECRET, 'lead@example.com', 'admin')}"
    return {
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"jrn{unique}.",
        "CRM_DATABASE_URL": database,
    }


def history(prospects: int, clicks_each: int) -> list[CtaClickedV1]:
    events = []
    for i in range(clicks_each):
        for p in range(prospects):
            stage = 1 + (i * 7 + p) % 6
            events.append(
                CtaClickedV1(
                    event_id=uuid.uuid4(),
                    occurred_at=T0 + timedelta(minutes=i),
                    subject_id=f"v-{p}",
                    cta={
                        "id": f"cta-{stage}",
                        "label": f"Stage {stage}",
                        "stage": stage,
                        "points": 1 + (i + p) % 50,
                    },
                )
            )
    return events


def expected_points(events: list[CtaClickedV1]) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for e in events:
        stage, points = state.get(e.subject_id, (1, 0))
        points += e.cta.points * max(1, e.cta.stage - stage)
        state[e.subject_id] = (max(stage, DEFAULT_RULES.stage_for(points)), points)
    return state


async def publish(env: dict[str, str], events: list[CtaClickedV1]) -> None:
    transport = KafkaTransport(
        env["CRM_KAFKA_BOOTSTRAP_SERVERS"], namespace=env["CRM_KAFKA_NAMESPACE"]
    )
    await transport.start()
    try:
        await transport.publish(events)
    finally:
        await transport.stop()


async def rewind(env: dict[str, str]) -> None:
    """Set the journey group's committed offsets back to the start, as if every commit had
    been lost: everything is delivered again."""
    topic = env["CRM_KAFKA_NAMESPACE"] + "crm.web"
    partitions = [TopicPartition(topic, p) for p in range(3)]
    # The killed member stays in the group until its session times out; until then the
    # coordinator refuses commits from outside the group.
    async with asyncio.timeout(90):
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=env["CRM_KAFKA_BOOTSTRAP_SERVERS"],
                group_id=env["CRM_KAFKA_NAMESPACE"] + "journey",
                enable_auto_commit=False,
            )
            await consumer.start()
            try:
                consumer.assign(partitions)
                await consumer.commit({tp: 0 for tp in partitions})
                return
            except CommitFailedError:
                await asyncio.sleep(1)
            finally:
                await consumer.stop()


def prospect(base: str, pid: str) -> httpx.Response:
    return httpx.get(f"{base}/v1/prospects/{pid}", headers=AUTH)


def total_clicks(base: str, ids: list[str]) -> int:
    return sum(r.json()["clicks"] for r in (prospect(base, i) for i in ids) if r.status_code == 200)


def test_a_killed_and_rewound_consumer_counts_no_click_twice(
    env: dict[str, str], tmp_path: Path
) -> None:
    events = history(prospects=20, clicks_each=100)
    ids = sorted({e.subject_id for e in events})
    asyncio.run(publish(env, events))

    with crm_process(["serve", "journey"], tmp_path / "first.log", env) as first:
        poll(lambda: total_clicks(first.base, ids), lambda n: n > 0, timeout=60)
        first.kill()

    asyncio.run(rewind(env))
    with crm(["serve", "journey"], tmp_path / "second.log", env) as base:
        done = poll(lambda: total_clicks(base, ids), lambda n: n >= len(events), timeout=120)
        assert done == len(events)
        want = expected_points(events)
        for pid in ids:
            got = prospect(base, pid).json()
            assert (got["stage"], got["points"], got["clicks"]) == (*want[pid], 100), pid
            timeline = httpx.get(f"{base}/v1/prospects/{pid}/timeline", headers=AUTH).json()
            kinds = Counter(e["kind"] for e in timeline["entries"])
            assert kinds["points.awarded"] == 100
            assert kinds["prospect.created"] == 1
            assert (
                sum(
                    e.get("points", 0) for e in timeline["entries"] if e["kind"] == "points.awarded"
                )
                == got["points"]
            )


def test_a_manual_move_is_recorded_with_the_consultant_and_published(
    env: dict[str, str], tmp_path: Path
) -> None:
    skip = history(prospects=1, clicks_each=1)[0].model_copy(
        update={"cta": Cta(id="pricing", label="Pricing", stage=4, points=10)}
    )
    asyncio.run(publish(env, [skip]))
    with crm(["serve", "journey"], tmp_path / "journey.log", env) as base:
        assert (
            poll(lambda: prospect(base, "v-0"), lambda r: r.status_code == 200).json()["points"]
            == 30
        )
        move = {"stage": 5, "reason": "signed the pilot"}
        headers = {**AUTH, "Idempotency-Key": "move-1"}
        moved = httpx.post(f"{base}/v1/prospects/v-0/stage", json=move, headers=headers)
        again = httpx.post(f"{base}/v1/prospects/v-0/stage", json=move, headers=headers)
        assert (moved.status_code, again.status_code) == (200, 200)
        assert (moved.json()["stage"], moved.json()["points"]) == (5, 250)

        entries = httpx.get(f"{base}/v1/prospects/v-0/timeline", headers=AUTH).json()["entries"]
        manual = [e for e in entries if e["kind"] == "stage.changed" and e["cause"] == "manual"]
        assert [(e["old_stage"], e["new_stage"], e["changed_by"], e["reason"]) for e in manual] == [
            (2, 5, "lead@example.com", "signed the pilot")
        ]
        periods = [p["stage"] for p in prospect(base, "v-0").json()["stage_periods"]]
        assert periods == [1, 2, 5]

        assert (
            httpx.post(f"{base}/v1/prospects/v-none/stage", json=move, headers=AUTH).status_code
            == 404
        )
        bad = httpx.post(
            f"{base}/v1/prospects/v-0/stage", json={"stage": 7, "reason": "x"}, headers=AUTH
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage"
        same = httpx.post(
            f"{base}/v1/prospects/v-0/stage", json={"stage": 5, "reason": "x"}, headers=AUTH
        )
        assert same.status_code == 409 and "already in stage 5" in same.json()["detail"]
        anonymous = httpx.post(f"{base}/v1/prospects/v-0/stage", json=move)
        assert anonymous.status_code == 401

    published = asyncio.run(read_journey_topic(env))
    assert "prospect.moved_manually.v1" in published and "stage.skipped.v1" in published


async def read_journey_topic(env: dict[str, str]) -> list[str]:
    from tests.contract.logs import _read_kafka

    records = await _read_kafka(
        env["CRM_KAFKA_BOOTSTRAP_SERVERS"], env["CRM_KAFKA_NAMESPACE"] + "crm.journey"
    )
    return [dict(r.headers)["type"].decode() for r in records]


def test_an_import_is_all_or_nothing_and_keeps_entry_points_null(
    env: dict[str, str], tmp_path: Path
) -> None:
    header = "email,name,stage,points\n"
    bad_csv = header + "ann@example.com,Ann,3,80\nnot-an-email,Bob,2,5\ncid@example.com,Cid,9,0\n"
    good_csv = "email,name,stage,points\nann@example.com,Ann,3,80\nbob@example.com,Bob,,\n"
    with crm(["serve", "journey"], tmp_path / "journey.log", env) as base:
        url = f"{base}/v1/prospects/import"
        refused = httpx.post(url, content=bad_csv, headers=AUTH)
        assert refused.status_code == 422
        assert refused.json()["imported"] == 0
        assert [(r["line"], r["errors"][0]["field"]) for r in refused.json()["rejected"]] == [
            (3, "email"),
            (4, "stage"),
        ]

        done = httpx.post(url, content=good_csv, headers=AUTH)
        assert done.status_code == 200, done.text
        assert done.json()["imported"] == 2
        again = httpx.post(url, content=good_csv, headers=AUTH).json()
        assert (again["imported"], len(again["skipped_known"])) == (0, 2)

        consultant = signed_in(env["CRM_DATABASE_URL"], SECRET, "c@example.com")
        forbidden = httpx.post(
            url, content=good_csv, headers={"Authorization": f"Bearer {consultant}"}
        )
        assert forbidden.status_code == 403

        from services.journey.commands.importing import prospect_id_for

        ann = prospect(base, prospect_id_for("ann@example.com")).json()
        assert (ann["stage"], ann["points"], ann["imported"], ann["entry_point"]) == (
            3,
            80,
            True,
            None,
        )

    click = history(prospects=1, clicks_each=1)[0].model_copy(
        update={
            "subject_id": prospect_id_for("ann@example.com"),
            "cta": Cta(id="demo", label="Demo", stage=3, points=5),
        }
    )
    asyncio.run(publish(env, [click]))
    with crm(["serve", "journey"], tmp_path / "journey2.log", env) as base:
        ann = poll(
            lambda: prospect(base, prospect_id_for("ann@example.com")).json(),
            lambda a: a["clicks"] == 1,
        )
        assert (ann["clicks"], ann["points"], ann["entry_point"]) == (1, 85, None)
