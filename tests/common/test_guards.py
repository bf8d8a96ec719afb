"""Every app refuses oversized bodies before reading them, and marks its JSON answers private."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from pydantic import SecretStr

from services import embedded
from services.common.guards import BodyLimit, JsonAnswerHeaders
from services.common.settings import CommonSettings

MiB = 1024 * 1024
CHUNK = 64 * 1024


class Upload:
    """A body streamed without a Content-Length, counting what the server pulled of it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield b"x" * CHUNK


def post(app: FastAPI, path: str, content: object, headers: dict[str, str]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            return await client.post(path, content=content, headers=headers)  # type: ignore[arg-type]

    return asyncio.run(call())


def product(data_dir: Path) -> FastAPI:
    common = CommonSettings(session_secret=SecretStr("s" * 32), ingest_api_keys=SecretStr("pk"))
    return embedded.create_app(data_dir, common)


def echo(routes: dict[str, int]) -> FastAPI:
    app = FastAPI()

    @app.post("/{name}")
    async def length(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    app.add_middleware(BodyLimit, default=MiB, routes=routes)
    return app


def test_a_200_mb_login_streamed_without_a_length_is_refused_having_read_about_the_limit(
    tmp_path: Path,
) -> None:
    upload = Upload(200 * MiB)
    answer = post(product(tmp_path), "/v1/auth/login", upload, {"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "larger than 1048576 bytes" in answer.json()["detail"]
    assert upload.pulled <= MiB + CHUNK


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(
    tmp_path: Path,
) -> None:
    upload = Upload(200 * MiB)
    headers = {"Content-Type": "application/json", "Content-Length": str(200 * MiB)}
    answer = post(product(tmp_path), "/v1/auth/login", upload, headers)
    assert answer.status_code == 413
    assert upload.pulled == 0


def test_events_are_cut_off_at_1_mib_while_streaming(tmp_path: Path) -> None:
    upload = Upload(50 * MiB)
    headers = {"Authorization": "Bearer pk", "Content-Type": "application/json"}
    answer = post(product(tmp_path), "/v1/events", upload, headers)
    assert answer.status_code == 413
    assert upload.pulled <= MiB + CHUNK


def test_a_website_on_another_origin_can_read_the_413(tmp_path: Path) -> None:
    headers = {
        "Authorization": "Bearer pk",
        "Origin": "https://site.example",
        "Content-Length": str(2 * MiB),
    }
    answer = post(product(tmp_path), "/v1/events", b"", headers)
    assert answer.status_code == 413
    assert answer.headers["access-control-allow-origin"] == "*"


def test_the_csv_import_allows_its_own_20_mib_and_no_more(tmp_path: Path) -> None:
    declared = {"Content-Length": str(21 * MiB)}
    answer = post(product(tmp_path), "/v1/prospects/import", b"", declared)
    assert answer.status_code == 413
    assert "larger than 20971520 bytes" in answer.json()["detail"]


def test_a_route_with_its_own_limit_takes_more_than_the_default_and_others_do_not() -> None:
    app = echo({"/import": 3 * MiB})
    assert post(app, "/import", Upload(2 * MiB), {}).json() == {"length": 2 * MiB}
    assert post(app, "/other", Upload(2 * MiB), {}).status_code == 413
    assert post(app, "/other", b"x" * 1000, {}).json() == {"length": 1000}


def test_a_content_length_that_is_not_a_number_is_a_400() -> None:
    answer = post(echo({}), "/any", b"{}", {"Content-Length": "12, 12"})
    assert answer.status_code == 400


def test_json_answers_are_neither_cached_nor_sniffed(tmp_path: Path) -> None:
    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=product(tmp_path))
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            return [
                await client.get("/healthz"),
                await client.get("/v1/board"),
                await client.post("/v1/events", content=b"{}"),
            ]

    for answer in asyncio.run(call()):
        assert answer.headers["content-type"].startswith("application/json"), answer.url
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url


def test_answers_other_than_json_are_left_as_they_are() -> None:
    app = FastAPI()

    @app.get("/page", response_class=PlainTextResponse)
    async def page() -> str:
        return "hello"

    app.add_middleware(JsonAnswerHeaders)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            return await client.get("/page")

    answer = asyncio.run(call())
    assert answer.text == "hello"
    assert "cache-control" not in answer.headers
