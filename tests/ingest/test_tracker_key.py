"""The tracker's way in: `GET /t.js`, and the producer key in `POST /v1/events?key=` (beacons
send no headers) accepted only from configured website origins; on the embedded product in
process over HTTP (ASGI)."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from pydantic import SecretStr

from services import embedded
from services.common.settings import CommonSettings
from services.ingest.tracker import SCRIPT, HideQueryKeys

SITE = "https://acme.example"
CLICK = {
    "type": "cta.clicked",
    "visitor_id": "v-beacon",
    "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": 1},
}
BEACON = json.dumps({"events": [CLICK]})
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}

Api = httpx.AsyncClient


def published(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "events.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM log WHERE topic = 'crm.web'").fetchone()[0])


def on_product(data_dir: Path, origins: str, scenario: Callable[[Api], Awaitable[None]]) -> None:
    common = CommonSettings(
        session_secret=SecretStr("s" * 32),
        ingest_api_keys=SecretStr("pk-site"),
        ingest_cors_origins=origins,
    )
    app = embedded.create_app(data_dir, common)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://crm") as api,
        ):
            await scenario(api)

    asyncio.run(run())


def test_a_beacon_from_a_website_origin_with_the_key_in_the_query_is_accepted_as_text(
    tmp_path: Path,
) -> None:
    async def scenario(api: Api) -> None:
        headers = {**TEXT, "Origin": SITE}
        answer = await api.post("/v1/events?key=pk-site", content=BEACON, headers=headers)
        assert answer.status_code == 202, answer.text
        assert answer.headers["access-control-allow-origin"] == SITE
        assert published(tmp_path) == 1

    on_product(tmp_path, f"{SITE},https://other.example", scenario)


def test_a_query_key_from_an_unlisted_origin_or_no_origin_is_a_403_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    async def scenario(api: Api) -> None:
        for origin in ({"Origin": "https://evil.example"}, {}):
            answer = await api.post(
                "/v1/events?key=pk-site", content=BEACON, headers={**TEXT, **origin}
            )
            assert answer.status_code == 403, answer.text
            assert "CRM_INGEST_CORS_ORIGINS" in answer.json()["detail"]
        assert published(tmp_path) == 0

    on_product(tmp_path, SITE, scenario)


def test_a_wrong_query_key_is_a_401_even_from_a_website_origin(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        for key in ("pk-other", "pk-sité"):
            answer = await api.post(
                "/v1/events", params={"key": key}, content=BEACON, headers={"Origin": SITE}
            )
            assert answer.status_code == 401, answer.text
            assert answer.json()["detail"] == "the producer key is not valid"
        assert published(tmp_path) == 0

    on_product(tmp_path, SITE, scenario)


def test_with_any_origin_allowed_a_query_key_is_accepted_from_any_page(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        headers = {**TEXT, "Origin": "https://anywhere.example"}
        answer = await api.post("/v1/events?key=pk-site", content=BEACON, headers=headers)
        assert answer.status_code == 202, answer.text
        no_origin = await api.post("/v1/events?key=pk-site", content=BEACON, headers=TEXT)
        assert no_origin.status_code == 403

    on_product(tmp_path, "*", scenario)


def test_the_bearer_header_still_wins_over_a_query_key(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        headers = {"Authorization": "Bearer pk-wrong", "Origin": SITE}
        answer = await api.post("/v1/events?key=pk-site", content=BEACON, headers=headers)
        assert answer.status_code == 401

    on_product(tmp_path, SITE, scenario)


def test_the_tracker_script_is_served_as_cacheable_javascript(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        answer = await api.get("/t.js")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/javascript")
        assert answer.headers["cache-control"] == "public, max-age=300"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.content == SCRIPT.read_bytes()

    on_product(tmp_path, SITE, scenario)


def test_the_access_log_shows_a_query_key_as_stars() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/v1/events?key=pk-secret&x=1", "1.1", 202),
        None,
    )
    assert HideQueryKeys().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "POST /v1/events?key=***&x=1 HTTP/1.1" 202'
