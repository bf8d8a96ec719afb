"""Page and API response times with 100,000 prospects in the read models, on PostgreSQL, as a
consultant's browser meets them: the projections service in its own process (`crm-journey serve
projections`), requests over HTTP with the session cookie, one at a time. Prints p50/p95 per
page and API call; asserts only that every answer was a 200.

    make bench                                   # or: pytest tests/bench/test_pages.py -m bench -s
    CRM_BENCH_PROSPECTS=20000 CRM_BENCH_REQUESTS=30 make bench
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services.common.auth import SESSION_COOKIE
from services.common.db import create_engine, migrate
from services.projections.models.board import Board, BoardRow, Period
from services.projections.tables import board as board_store
from tests.infra import create_database
from tests.processes import crm
from tests.sessions import signed_in

pytestmark = pytest.mark.bench
PROSPECTS = int(os.environ.get("CRM_BENCH_PROSPECTS", "100000"))
REQUESTS = int(os.environ.get("CRM_BENCH_REQUESTS", "50"))
SECRET = "bench-pages-secret"
NOW = datetime.now(UTC).replace(microsecond=0)
CAMPAIGNS = ["q4-search", "founders", "november", "webinar-series", None]
CTAS = ["read-blog", "schedule-discovery-call", "download-guide", "book-demo", "compare-plans"]
MONTH = ((NOW - timedelta(days=60)).date(), (NOW - timedelta(days=30)).date())
# What a consultant opens, and the JSON behind it.
PATHS = [
    "/customerjourney",
    "/customerjourney?stage=3",
    "/customerjourney?utm_campaign=founders",
    "/customerjourney?q=person4242",
    "/journeykanban",
    "/customerplanningreview",
    "/humansherpadashboard",
    "/playbookanalytics",
    "/v1/board",
    "/v1/board?stage=5&limit=100",
    "/v1/board?entry_point=book-demo",
    "/v1/analytics/playbooks",
    "/analyticsdashboard",
    f"/analyticsdashboard?from={MONTH[0]}&to={MONTH[1]}&by=utm_campaign&inactive_days=30",
    "/v1/analytics/stages",
    "/v1/analytics/conversion?by=entry_point",
    f"/v1/analytics/conversion?by=utm_campaign&from={MONTH[0]}&to={MONTH[1]}",
    "/v1/analytics/time-to-advance",
    f"/v1/analytics/time-to-advance?from={MONTH[0]}&to={MONTH[1]}",
    "/v1/analytics/drop-off?inactive_days=30",
    "/v1/analytics/conversion.csv?by=utm_source",
    "/v1/analytics/alerts",
]


def rows(count: int) -> dict[str, BoardRow]:
    """Prospects spread over the six stages (most early), entry points and campaigns, with
    their stage history, over the last 180 days."""
    rng = random.Random(42)
    out: dict[str, BoardRow] = {}
    for i in range(count):
        stage = min(6, 1 + int(rng.expovariate(0.7)))
        created = NOW - timedelta(days=rng.uniform(1, 180))
        periods: list[Period] = []
        at = created
        for s in range(1, stage + 1):
            left = at + timedelta(hours=rng.uniform(1, 240)) if s < stage else None
            periods.append((s, at, left))
            at = left or at
        campaign = rng.choice(CAMPAIGNS)
        pid = f"v-{i:06d}"
        out[pid] = BoardRow(
            prospect_id=pid,
            stage=stage,
            points=[0, 25, 75, 150, 250, 400][stage - 1] + rng.randint(0, 20),
            created_at=created,
            entered_stage_at=periods[-1][1],
            last_activity_at=min(NOW, periods[-1][1] + timedelta(hours=rng.uniform(0, 500))),
            email=f"person{i}@example.com" if rng.random() < 0.6 else None,
            clicks=rng.randint(1, 40),
            entry_kind="cta",
            entry_cta_id=rng.choice(CTAS),
            entry_cta_label="Entry",
            entry_page="https://example.com/",
            utm_source=campaign and "google",
            utm_medium=campaign and "cpc",
            utm_campaign=campaign,
            entry_captured_at=created,
            stage_periods=tuple(periods),
        )
    return out


async def seed(url: str) -> float:
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        await migrate(engine, "projections", board_store.MIGRATIONS)
        everything = rows(PROSPECTS)
        ids = sorted(everything)
        for start in range(0, len(ids), 10_000):
            chunk = {pid: everything[pid] for pid in ids[start : start + 10_000]}
            async with engine.begin() as conn:
                await board_store.save(conn, board_store.BOARD, Board({}, {}), Board(chunk, {}))
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def timings(base: str, path: str, cookies: dict[str, str]) -> list[float]:
    spent: list[float] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        for n in range(REQUESTS + 3):
            t = time.perf_counter()
            answer = client.get(path)
            elapsed = time.perf_counter() - t
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            if n >= 3:  # the first requests warm connections and caches
                spent.append(elapsed * 1000)
    return spent


def test_pages_and_api_with_many_prospects(
    kafka_bootstrap: str, postgres_url: str, unique: str, tmp_path: Path
) -> None:
    url = asyncio.run(create_database(postgres_url, f"bench_pages_{unique}"))
    seeded_s = asyncio.run(seed(url))
    env = {
        "CRM_SESSION_SECRET": SECRET,
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CRM_KAFKA_NAMESPACE": f"benchpages{unique}.",
        "CRM_DATABASE_URL": url,
        "CRM_LOG_LEVEL": "WARNING",
    }
    cookies = {SESSION_COOKIE: signed_in(url, SECRET, "bench@example.com")}
    print(
        f"\n[bench] pages: {PROSPECTS:,} prospects seeded in {seeded_s:.1f} s; "
        f"{REQUESTS} sequential requests per path after 3 warm-ups"
    )
    worst = 0.0
    with crm(["serve", "projections"], tmp_path / "projections.log", env) as base:
        for path in PATHS:
            spent = sorted(timings(base, path, cookies))
            p50 = statistics.median(spent)
            p95 = spent[max(0, round(0.95 * len(spent)) - 1)]
            worst = max(worst, p95)
            print(f"[bench]   {path:<42} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"[bench] pages: worst p95 {worst:.1f} ms (target <= 200 ms)")
