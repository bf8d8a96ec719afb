"""`crm-journey rescore --rules FILE` against the running product: the what-if report before
anything is applied, then the rescore applied as events that the API, the timeline and the board
show; a second run finds nothing to do; later clicks build on the rescored points. Embedded
(SQLite log) and on real Kafka + PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from schemas.values import Cta
from schemas.web import CtaClickedV1
from services.common.kafka import KafkaTransport
from tests.infra import fresh_database
from tests.processes import CLI, ROOT, crm, poll
from tests.sessions import embedded_accounts, signed_in

SECRET = "rescore-secret"
# The admin's session in each test's own accounts, set when its product has started.
AUTH: dict[str, str] = {}
KEY = "pk-rescore"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# Thresholds doubled: 25 → 50, 75 → 150, ...
HIGHER = """\
stages:
  - {name: Call to Discovery, threshold: 0}
  - {name: Exploration, threshold: 50}
  - {name: Validation, threshold: 150}
  - {name: Commitment, threshold: 300}
  - {name: Construction, threshold: 500}
  - {name: Mastery, threshold: 800}
"""
# (visitor, base points of one stage-1 click, clicks): 30 → stage 2, 80 → 3, 10 → 1 today.
PEOPLE = [("a", 30, 1), ("b", 40, 2), ("c", 10, 1)]


def clicks(run: str) -> list[CtaClickedV1]:
    return [
        CtaClickedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0 + timedelta(minutes=n),
            subject_id=f"v-{who}-{run}",
            cta={"id": "guide", "label": "Read the guide", "stage": 1, "points": points},
        )
        for who, points, times in PEOPLE
        for n in range(times)
    ]


def rescore(rules: Path, where: list[str], env: Mapping[str, str], *flags: str) -> str:
    done = subprocess.run(
        [*CLI, "rescore", "--rules", str(rules), *where, "--operator", "ops", *flags],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def prospect(base: str, pid: str) -> dict[str, object]:
    found = httpx.get(f"{base}/v1/prospects/{pid}", headers=AUTH)
    assert found.status_code == 200, found.text
    return dict(found.json())


def stages_and_points(base: str, run: str) -> dict[str, tuple[object, object]]:
    """Stage and points of each of this run's people known yet."""
    found = {}
    for who, *_ in PEOPLE:
        answer = httpx.get(f"{base}/v1/prospects/v-{who}-{run}", headers=AUTH)
        if answer.status_code == 200:
            found[who] = (answer.json()["stage"], answer.json()["points"])
    return found


def check_rescore(
    base: str, run: str, rules: Path, where: list[str], env: Mapping[str, str]
) -> None:
    today = {"a": (2, 30), "b": (3, 80), "c": (1, 10)}
    assert poll(lambda: stages_and_points(base, run), lambda s: s == today) == today

    report = rescore(rules, where, env, "--dry-run")
    assert "Exploration" in report and "2 → 1: 1" in report and "3 → 2: 1" in report
    assert "stage changes: 2 prospects (0 up, 2 down)" in report
    assert stages_and_points(base, run) == today  # a what-if applies nothing

    applied = rescore(rules, where, env, "--yes")
    assert "Applied: 4 events for 2 prospects." in applied
    rescored = {"a": (1, 30), "b": (2, 80), "c": (1, 10)}
    assert stages_and_points(base, run) == rescored

    timeline = httpx.get(f"{base}/v1/prospects/v-a-{run}/timeline", headers=AUTH).json()
    kinds = [e["kind"] for e in timeline["entries"]]
    assert kinds[-2:] == ["prospect.rescored", "stage.changed"]
    change = timeline["entries"][-1]
    assert (change["old_stage"], change["new_stage"], change["cause"]) == (2, 1, "rescore")
    assert change["changed_by"] == "ops"

    again = rescore(rules, where, env, "--yes")
    assert "stage changes: 0 prospects" in again and "Applied" not in again


def sign_in(accounts: str) -> None:
    AUTH["Authorization"] = f"Bearer {signed_in(accounts, SECRET, 'ops@example.com', 'admin')}"


def test_rescore_on_the_embedded_product(tmp_path: Path) -> None:
    rules = tmp_path / "higher.yaml"
    rules.write_text(HIGHER)
    data = tmp_path / "data"
    env = {"CRM_SESSION_SECRET": SECRET, "CRM_INGEST_API_KEYS": KEY}
    run = uuid.uuid4().hex[:6]
    with crm(["run", "--data-dir", str(data)], tmp_path / "crm.log", env) as base:
        sign_in(embedded_accounts(data))
        for click in clicks(run):
            body = {
                "type": "cta.clicked",
                "event_id": str(click.event_id),
                "occurred_at": click.occurred_at.isoformat(),
                "visitor_id": click.subject_id,
                "cta": click.cta.model_dump(mode="json"),
            }
            posted = httpx.post(
                f"{base}/v1/events", json=body, headers={"Authorization": f"Bearer {KEY}"}
            )
            assert posted.status_code == 202, posted.text
        check_rescore(base, run, rules, ["--data-dir", str(data)], env)

        # The board follows the rescore's stage change.
        def board_stage() -> object:
            rows = httpx.get(f"{base}/v1/board?q=v-b-{run}", headers=AUTH).json()["rows"]
            return rows[0]["stage"] if rows else None

        assert poll(board_stage, lambda s: s == 2) == 2


def test_rescore_on_kafka_and_postgres(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    rules = tmp_path / "higher.yaml"
    rules.write_text(HIGHER)
    database = fresh_database(postgres_url, f"rsc_{unique}")
    env = {
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"rsc{unique}.",
        "CRM_DATABASE_URL": database,
    }
    run = uuid.uuid4().hex[:6]

    async def publish(events: list[CtaClickedV1]) -> None:
        transport = KafkaTransport(kafka_bootstrap, namespace=env["CRM_KAFKA_NAMESPACE"])
        await transport.start()
        try:
            await transport.publish(events)
        finally:
            await transport.stop()

    asyncio.run(publish(clicks(run)))
    sign_in(database)
    with crm(["serve", "journey"], tmp_path / "journey.log", env) as base:
        check_rescore(base, run, rules, ["--distributed"], env)
        # The running service's cache saw the rescore: from stage 1 (not 2), a stage 3 cta is a
        # gap of 2, so it earns double: 30 + 2 x 10.
        later = clicks(run)[0].model_copy(
            update={
                "event_id": uuid.uuid4(),
                "occurred_at": T0 + timedelta(hours=1),
                "cta": Cta(id="demo", label="Book a demo", stage=3, points=10),
            }
        )
        asyncio.run(publish([later]))
        points = poll(lambda: prospect(base, f"v-a-{run}")["points"], lambda p: p != 30)
        assert points == 50


@pytest.mark.parametrize("bad", ["stages: []\n", "nonsense: 1\n"])
def test_a_bad_rules_file_is_refused_naming_the_problem(tmp_path: Path, bad: str) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(bad)
    done = subprocess.run(
        [*CLI, "rescore", "--rules", str(rules), "--data-dir", str(tmp_path), "--dry-run"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and "bad.yaml line 1" in done.stderr
