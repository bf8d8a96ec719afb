"""`crm-journey replay projections` beside the running product, embedded (the SQLite event log)
and distributed (Kafka + PostgreSQL): the board rebuilt from the log into the next version equals
the board built live, table for table; reads and the live projection switch to it; the old
version stays until dropped, and the active one cannot be dropped."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from services.common.auth import issue_token
from services.common.db import create_engine
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from services.projections import store, versions
from services.projections.projector import EMPTY, project
from tests.infra import create_database
from tests.processes import CLI, ROOT, crm, poll
from tests.projections.history import first_click
from tests.projections.seeded import journey_log

SECRET = "replay-secret"
KEY = "pk-replay"
V1, V2, V3 = "projections_board_v1", "projections_board_v2", "projections_board_v3"


def replay(
    args: Sequence[str], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`crm-journey replay ARGS` in a child process, as an operator runs it. The output is
    decoded as written: no newline translation, so a progress bar's carriage returns show."""
    done = subprocess.run(
        [*CLI, "replay", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=600,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def seeded_history(seed: int, visitors: int) -> list[Event]:
    """Thousands of journey events, some twice, as an at-least-once relay leaves them."""
    rng = random.Random(seed)
    out: list[Event] = []
    for event in journey_log(seed=seed, visitors=visitors).events:
        out.append(event)
        if rng.random() < 0.02:
            out.append(event)
    return out


async def publish_embedded(path: Path, events: Sequence[Event]) -> None:
    log = EmbeddedLog(path)
    await log.start()
    try:
        await log.publish(events)
    finally:
        await log.stop()


async def publish_kafka(bootstrap: str, namespace: str, events: Sequence[Event]) -> None:
    publisher = KafkaTransport(bootstrap, namespace=namespace, client_id="journey-test")
    await publisher.start()
    try:
        await publisher.publish(events)
    finally:
        await publisher.stop()


async def contents(engine: AsyncEngine, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a version's set by its role, rows in key order, without the time a row
    was written (all a rebuild may write differently)."""
    tables = versions.board_set(name)
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in versions.tables_of(tables):
            columns = [c for c in table.columns if c.name != "processed_at"]
            query = select(*columns).order_by(*table.primary_key.columns)
            out[table.name.removeprefix(name) or "rows"] = [
                tuple(r) for r in await conn.execute(query)
            ]
    return out


async def pointer_and_versions(engine: AsyncEngine) -> tuple[str, list[str]]:
    async with engine.connect() as conn:
        return await versions.active_name(conn), await versions.board_versions(conn)


async def has_row(engine: AsyncEngine, name: str, prospect_id: str) -> bool:
    async with engine.connect() as conn:
        return await store.one_row(conn, prospect_id, versions.board_set(name)) is not None


async def processed(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as conn:
        query = text(f"SELECT count(*) FROM {name}_processed_events")
        return int((await conn.execute(query)).scalar_one())


async def mark_in_v2_only(engine: AsyncEngine, prospect_id: str, email: str) -> None:
    rows = versions.board_set(V2).rows
    async with engine.begin() as conn:
        await conn.execute(
            update(rows).where(rows.c.prospect_id == prospect_id).values(email=email)
        )


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


def board(base: str, **params: Any) -> dict[str, Any]:
    token = issue_token(SECRET, "ops@example.com", "admin", 3600)
    answer = httpx.get(
        f"{base}/v1/board", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def wait_until_built(engine: AsyncEngine, distinct: int) -> None:
    for _ in range(1200):
        if await processed(engine, V1) == distinct:
            return
        await asyncio.sleep(0.1)
    assert await processed(engine, V1) == distinct


async def check_switch(
    engine: AsyncEngine, done: subprocess.CompletedProcess[str], events: int, base: str
) -> None:
    """What any replay beside a live board must leave: v2 equal to v1, and read."""
    assert done.returncode == 0, done.stderr
    assert f"switched the board to {V2}: {events:,} events read" in done.stdout
    assert "crm-journey replay drop-old 1" in done.stdout
    live, rebuilt = await contents(engine, V1), await contents(engine, V2)
    assert set(rebuilt) >= {"rows", "_merged", "_processed_events"}
    assert all(rebuilt[role] for role in rebuilt)
    assert rebuilt == live
    assert await pointer_and_versions(engine) == (V2, [V1, V2])

    # A row changed only in v2 shows: reads follow the pointer.
    some = live["rows"][0][0]
    await mark_in_v2_only(engine, some, "only-in-v2@example.com")
    assert [r["prospect_id"] for r in board(base, q="only-in-v2")["rows"]] == [some]


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


@contextmanager
def meanwhile(step: Callable[[int], None]) -> Iterator[None]:
    """Call step(0), step(1), ... in a thread until the block ends."""
    stop = threading.Event()

    def run() -> None:
        n = 0
        while not stop.is_set():
            step(n)
            n += 1
            time.sleep(0.02)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


async def test_replay_beside_the_embedded_product_switches_reads_and_the_live_board(
    tmp_path: Path,
) -> None:
    data = tmp_path / "crm-data"
    history = seeded_history(seed=21, visitors=300)
    distinct = len({e.event_id for e in history})
    assert distinct > 3000
    await publish_embedded(data / "events.db", history)
    env = {"CRM_INGEST_API_KEYS": KEY, "CRM_SESSION_SECRET": SECRET}
    engine = create_engine(f"sqlite:///{data / 'projections.db'}")
    where = ["--data-dir", str(data)]
    try:
        with crm(["run", *where], tmp_path / "crm.log", env) as base:
            await wait_until_built(engine, distinct)
            assert board(base)["total"] == len(project(EMPTY, history).rows)

            done = replay(["projections", *where])
            await check_switch(engine, done, len(history), base)

            post_click(base, "after-the-switch")
            found = poll(lambda: board(base, q="after-the-switch"), lambda b: b["total"] == 1)
            assert found["rows"][0]["points"] == 3
            assert await has_row(engine, V2, "after-the-switch")
            assert not await has_row(engine, V1, "after-the-switch")

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
    distinct = len({e.event_id for e in history})
    await publish_kafka(kafka_bootstrap, namespace, history)
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
            await wait_until_built(engine, distinct)

            done = replay(["projections", "--distributed", "--quiet"], env)
            await check_switch(engine, done, len(history), base)
            assert done.stderr == ""

            after = first_click("after-the-switch", 60 * 24 * 40, cta="book-demo")
            await publish_kafka(kafka_bootstrap, namespace, after)
            found = poll(lambda: board(base, q="after-the-switch"), lambda b: b["total"] == 1)
            assert found["rows"][0]["entry_point"]["cta_id"] == "book-demo"
            assert await has_row(engine, V2, "after-the-switch")
            assert not await has_row(engine, V1, "after-the-switch")

            # A replay while events keep coming: none is lost between the rebuild and the live.
            published = [*history, *after]
            lock = threading.Lock()

            def publish_one(n: int) -> None:
                events = first_click(f"during-{n:03d}", 60 * 24 * 41 + n, cta="compare-plans")
                asyncio.run(publish_kafka(kafka_bootstrap, namespace, events))
                with lock:
                    published.extend(events)

            with meanwhile(publish_one):
                again = replay(["projections", "--distributed", "--quiet"], env)
            assert again.returncode == 0, again.stderr
            assert f"switched the board to {V3}" in again.stdout
            during = len(published) - len(history) - len(after)
            assert during >= 6
            # Generous: on a loaded machine the live consumer may lag; a lost event still fails.
            found = poll(
                lambda: board(base, q="during-"), lambda b: b["total"] == during // 3, timeout=90
            )
            assert found["total"] == during // 3
            expected = project(EMPTY, list({e.event_id: e for e in published}.values()))
            async with engine.connect() as conn:
                assert await store.all_rows(conn, versions.board_set(V3)) == dict(expected.rows)

            await check_drop(engine, ["--distributed"], env, [V1, V2, V3])
    finally:
        await engine.dispose()
