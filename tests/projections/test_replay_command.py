"""`crm-journey replay projections` beside the running product, embedded (the SQLite event log)
and distributed (Kafka + PostgreSQL): every read model (board, alert feed, tiers, playbook stats,
roadmap notes) rebuilt from the log into the next version equals the one built live, table for
table; reads and the live projections switch to it; the old version stays until dropped, and
the active one cannot be dropped."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine
from services.projections.models.board import EMPTY, project
from services.projections.tables import board as board_store
from services.projections.tables import versions
from tests.infra import create_database
from tests.processes import crm, poll
from tests.projections.history import first_click
from tests.projections.replay_log import (
    meanwhile,
    publish_embedded,
    publish_kafka,
    replay,
    seeded_history,
    seeded_others,
    settled,
)
from tests.projections.replayed_models import (
    V1,
    V2,
    V3,
    check_other_reads,
    contents,
    expected_models,
    get,
    has_row,
    mark_in_v2_only,
    mark_others_in_v2_only,
    noted,
    pointer_and_versions,
    stored_models,
    table_names,
    wait_until_built,
    wait_until_projected,
)
from tests.projections.seeded_others import upgrade_note_and_view
from tests.sessions import embedded_accounts, signed_in

SECRET = "replay-secret"
# A product's base URL → an admin's session in that product's accounts.
SESSIONS: dict[str, str] = {}
KEY = "pk-replay"


def post_click(base: str, visitor: str) -> None:
    click = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": "2026-11-20T09:00:00Z",
        "cta": {"id": "read-blog", "label": "Read the Blog", "stage": 1, "points": 3},
    }
    headers = {"Authorization": f"Bearer {KEY}"}
    posted = httpx.post(f"{base}/v1/events", json=click, headers=headers)
    assert posted.status_code == 202, posted.text


def post_note(base: str, path: str, note: str) -> None:
    headers = {"Authorization": f"Bearer {SESSIONS[base]}"}
    posted = httpx.post(f"{base}{path}", json={"text": note}, headers=headers)
    assert posted.status_code == 202, posted.text


def board(base: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{base}/v1/board", params=params, headers={"Authorization": f"Bearer {SESSIONS[base]}"}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def check_switch(
    engine: AsyncEngine, done: subprocess.CompletedProcess[str], events: int, base: str
) -> None:
    """What any replay beside the live read models must leave: v2 equal to v1, and read."""
    assert done.returncode == 0, done.stderr
    assert f"switched the read models to {V2}: {events:,} events read" in done.stdout
    assert "crm-journey replay drop-old 1" in done.stdout
    live, rebuilt = await contents(engine, V1), await contents(engine, V2)
    models = {"board", "alerts", "tiers", "playbooks", "notes"}
    assert set(rebuilt) >= models | {"board_merged", "board_processed", "alerts_processed"}
    assert all(rebuilt[role] for role in rebuilt)
    assert rebuilt == live
    assert await pointer_and_versions(engine) == (V2, [V1, V2])

    # Rows changed only in v2 show: reads follow the pointer.
    some = live["board"][0][0]
    await mark_in_v2_only(engine, some, "only-in-v2@example.com")
    await mark_others_in_v2_only(engine, V2, some)
    found = board(base, q="only-in-v2")["rows"]
    assert [r["prospect_id"] for r in found] == [some]
    check_other_reads(base, SESSIONS[base], some, found[0])


async def check_drop(
    engine: AsyncEngine, where: Sequence[str], env: Mapping[str, str], built: Sequence[str]
) -> None:
    """With `built` versions, the last one active: it cannot be dropped, the first one can."""
    active = built[-1]
    refused = replay(["drop-old", active.removeprefix(versions.BOARD_PREFIX), *where], env)
    assert refused.returncode == 1
    assert f"{active} is the active board version" in refused.stderr
    listed = replay(["versions", *where], env)
    assert listed.stdout.splitlines() == [*built[:-1], f"{active}  (active)"]

    dropped = replay(["drop-old", "1", *where], env)
    assert dropped.returncode == 0, dropped.stderr
    assert await pointer_and_versions(engine) == (active, list(built[1:]))
    left = await table_names(engine)
    assert not {t.name for t in versions.model_set(V1).tables()} & left
    assert {t.name for t in versions.model_set(active).tables()} <= left


async def test_replay_beside_the_embedded_product_switches_reads_and_the_live_board(
    tmp_path: Path,
) -> None:
    data = tmp_path / "crm-data"
    history = seeded_history(seed=21, visitors=300)
    distinct = len({e.event_id for e in history})
    assert distinct > 3000
    await publish_embedded(data / "events.db", [*history, *seeded_others(seed=21, visitors=300)])
    # The alerts service raises alerts live from the journey's skips; no sweep expires them
    # while the test compares versions.
    env = {
        "CRM_INGEST_API_KEYS": KEY,
        "CRM_SESSION_SECRET": SECRET,
        "CRM_ALERTS_SWEEP_INTERVAL_SECONDS": "3600",
    }
    engine = create_engine(f"sqlite:///{data / 'projections.db'}")
    where = ["--data-dir", str(data)]
    try:
        with crm(["run", *where], tmp_path / "crm.log", env) as base:
            SESSIONS[base] = signed_in(embedded_accounts(data), SECRET, "ops@example.com", "admin")
            await wait_until_built(engine, distinct)
            assert board(base)["total"] == len(project(EMPTY, history).rows)
            events = settled(data / "events.db")

            done = replay(["projections", *where])
            await check_switch(engine, done, events, base)

            post_click(base, "after-the-switch")
            # The rows and the counts are read one after the other: wait for the row itself.
            found = poll(lambda: board(base, q="after-the-switch"), lambda b: len(b["rows"]) == 1)
            assert found["rows"][0]["points"] == 3
            assert await has_row(engine, V2, "after-the-switch")
            assert not await has_row(engine, V1, "after-the-switch")
            # The live planning projection writes the new version too.
            notes = "/v1/prospects/after-the-switch/roadmap-notes"
            post_note(base, notes, "Phase 1 after the switch")
            listed = poll(lambda: get(base, SESSIONS[base], notes)["notes"], lambda n: len(n) == 1)
            assert [n["text"] for n in listed] == ["Phase 1 after the switch"]
            assert "after-the-switch" in await noted(engine, V2)
            assert "after-the-switch" not in await noted(engine, V1)

            await check_drop(engine, where, env, [V1, V2])
            assert board(base, q="after-the-switch")["total"] == 1
    finally:
        await engine.dispose()


@pytest.mark.kafka
@pytest.mark.postgres
async def test_replay_on_kafka_and_postgresql_switches_reads_and_the_live_board(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    namespace = f"replay{unique}."
    url = await create_database(postgres_url, f"replay_{unique}")
    history = seeded_history(seed=22, visitors=300)
    others = seeded_others(seed=22, visitors=300)
    distinct = len({e.event_id for e in history})
    await publish_kafka(kafka_bootstrap, namespace, [*history, *others])
    env = {
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": namespace,
        "CRM_DATABASE_URL": url,
        "CRM_PROJECTIONS_DATABASE_URL": url,
        "CRM_SESSION_SECRET": SECRET,
    }
    engine = create_engine(url)
    try:
        with crm(["serve", "projections"], tmp_path / "projections.log", env) as base:
            SESSIONS[base] = signed_in(url, SECRET, "ops@example.com", "admin")
            await wait_until_built(engine, distinct)
            await wait_until_projected(engine, others)

            done = replay(["projections", "--distributed", "--quiet"], env)
            await check_switch(engine, done, len(history) + len(others), base)
            assert done.stderr == ""

            after = first_click("after-the-switch", 60 * 24 * 40, cta="book-demo")
            after += upgrade_note_and_view("after-the-switch", 60 * 24 * 40 + 5)
            await publish_kafka(kafka_bootstrap, namespace, after)
            found = poll(
                lambda: board(base, q="after-the-switch"),
                lambda b: len(b["rows"]) == 1 and b["rows"][0]["tier"] == "Accelerator",
            )
            assert found["rows"][0]["entry_point"]["cta_id"] == "book-demo"
            assert found["rows"][0]["tier"] == "Accelerator"
            assert await has_row(engine, V2, "after-the-switch")
            assert not await has_row(engine, V1, "after-the-switch")
            notes = "/v1/prospects/after-the-switch/roadmap-notes"
            listed = poll(lambda: get(base, SESSIONS[base], notes)["notes"], lambda n: len(n) == 1)
            assert [n["text"] for n in listed] == ["Kick-off for after-the-switch"]
            assert "after-the-switch" not in await noted(engine, V1)

            # A replay while events keep coming: none is lost between the rebuild and the live.
            published = [*history, *others, *after]
            lock = threading.Lock()

            def publish_one(n: int) -> None:
                events = first_click(f"during-{n:03d}", 60 * 24 * 41 + n, cta="compare-plans")
                events += upgrade_note_and_view(f"during-{n:03d}", 60 * 24 * 41 + n + 1)
                asyncio.run(publish_kafka(kafka_bootstrap, namespace, events))
                with lock:
                    published.extend(events)

            with meanwhile(publish_one):
                again = replay(["projections", "--distributed", "--quiet"], env)
            assert again.returncode == 0, again.stderr
            assert f"switched the read models to {V3}" in again.stdout
            during = (len(published) - len(history) - len(others) - len(after)) // 6
            assert during >= 2
            # Generous: on a loaded machine the live consumer may lag; a lost event still fails.
            found = poll(
                lambda: board(base, q="during-"), lambda b: b["total"] == during, timeout=90
            )
            assert found["total"] == during
            expected = project(EMPTY, list({e.event_id: e for e in published}.values()))
            async with engine.connect() as conn:
                assert await board_store.all_rows(conn, versions.board_set(V3)) == dict(
                    expected.rows
                )
            models = expected_models(published)
            for _ in range(300):
                if await stored_models(engine, V3) == models:
                    break
                await asyncio.sleep(0.2)
            assert await stored_models(engine, V3) == models

            await check_drop(engine, ["--distributed"], env, [V1, V2, V3])
    finally:
        await engine.dispose()
