"""The per-producer-key rate limit on the embedded product, in process over HTTP (ASGI)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from services import embedded
from services.common.settings import CommonSettings


def clicks(n: int, visitor: str) -> dict[str, Any]:
    click = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": 1},
    }
    return {"events": [click] * n}


def published(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "events.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM log WHERE topic = 'crm.web'").fetchone()[0])


def test_a_burst_beyond_a_keys_bucket_is_a_429_with_retry_after_and_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_INGEST_KEY_EVENTS_PER_SECOND", "2")
    monkeypatch.setenv("CRM_INGEST_KEY_BURST", "10")
    common = CommonSettings(
        session_secret=SecretStr("s" * 32), ingest_api_keys=SecretStr("pk-a,pk-b")
    )
    app = embedded.create_app(tmp_path, common)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://crm") as api,
        ):

            async def post(key: str, n: int) -> httpx.Response:
                headers = {"Authorization": f"Bearer {key}"}
                return await api.post("/v1/events", json=clicks(n, key), headers=headers)

            assert (await post("pk-a", 10)).status_code == 202
            before = published(tmp_path)

            refused = await post("pk-a", 4)
            assert refused.status_code == 429, refused.text
            wait = int(refused.headers["Retry-After"])
            assert 1 <= wait <= 2  # 4 events at 2 a second
            assert "rate limit of 2 events a second" in refused.json()["detail"]
            assert published(tmp_path) == before

            assert (await post("pk-b", 4)).status_code == 202  # another key: its own bucket
            await asyncio.sleep(wait)
            assert (await post("pk-a", 4)).status_code == 202
            assert published(tmp_path) == before + 8

            too_big = await post("pk-b", 11)
            assert too_big.status_code == 413
            assert "CRM_INGEST_KEY_BURST" in too_big.json()["detail"]

    asyncio.run(scenario())
