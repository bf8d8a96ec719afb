"""The live alert feed over real HTTP (uvicorn), read from the alerts journal on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from services.alerts.live import Notifier, live_router
from services.common.auth import SESSION_COOKIE
from services.common.db import create_engine
from services.common.sessions import Sessions
from tests.alerts.serving import (
    SECRET,
    FrameReader,
    Journal,
    acknowledged,
    database_url,
    escalated,
    journal_at,
    raised,
    serving,
)
from tests.sessions import session_token

# Ann's session in each test's own accounts, set by the `journal` fixture.
BEARER: dict[str, str] = {}
T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgresql"])
async def journal(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[Journal]:
    server = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    url = await database_url(request.param, tmp_path, server, f"live_{unique}")
    accounts = create_engine(url)
    token = await session_token(accounts, SECRET, "ann@example.com")
    await accounts.dispose()
    BEARER["Authorization"] = f"Bearer {token}"
    async with journal_at(url) as opened:
        yield opened


def feed(journal: Journal, **options: Any) -> FastAPI:
    # The server gets its own engine, opened and closed on the server thread's event loop.
    engine = create_engine(journal.engine.url.render_as_string(hide_password=False))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.session_secret = SECRET
    app.state.sessions = Sessions(engine)
    app.include_router(live_router(engine, **options))
    return app


@pytest.fixture
def base(journal: Journal) -> Iterator[str]:
    with serving(feed(journal)) as url:
        yield url


@asynccontextmanager
async def streaming(base: str, url: str = "/v1/alerts/stream") -> AsyncIterator[FrameReader]:
    async with (
        httpx.AsyncClient(base_url=base, headers=BEARER, timeout=10) as http,
        http.stream("GET", url) as answer,
    ):
        assert answer.status_code == 200
        yield FrameReader(answer)


async def within(awaitable: Awaitable[T], seconds: float = 10) -> T:
    return await asyncio.wait_for(awaitable, seconds)


async def test_a_client_that_reconnects_with_its_last_event_id_misses_nothing(
    journal: Journal, base: str
) -> None:
    before = raised("v-old")
    await journal.append(before)
    first, missed = raised("v-1"), None
    async with httpx.AsyncClient(base_url=base, headers=BEARER, timeout=10) as http:
        async with http.stream("GET", "/v1/alerts/stream") as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            frames = FrameReader(answer)
            [seq] = await journal.append(first)
            got = await frames.next_event()
        missed = escalated(first)
        [missed_seq] = await journal.append(missed)
        async with http.stream(
            "GET", "/v1/alerts/stream", headers={"Last-Event-ID": got.id or ""}
        ) as answer:
            again = await FrameReader(answer).next_event()

    assert (got.id, got.event) == (str(seq), "alert.raised")
    assert json.loads(got.data or "") == json.loads(first.model_dump_json())
    assert (again.id, again.event) == (str(missed_seq), "alert.escalated")
    assert json.loads(again.data or "")["event_id"] == str(missed.event_id)


async def test_without_an_id_the_stream_starts_from_now_and_with_one_it_replays_in_order(
    journal: Journal, base: str
) -> None:
    alert = raised("v-1")
    old = [alert, escalated(alert), acknowledged(alert)]
    seqs = await journal.append(*old)
    new = raised("v-2")
    async with httpx.AsyncClient(base_url=base, headers=BEARER, timeout=10) as http:
        async with http.stream("GET", "/v1/alerts/stream") as answer:
            reader = FrameReader(answer)
            await journal.append(new)
            from_now = await within(reader.next_event())
        async with http.stream("GET", f"/v1/alerts/stream?last_event_id={seqs[0]}") as answer:
            reader = FrameReader(answer)
            replayed = [await within(reader.next_event()) for _ in range(3)]

    assert json.loads(from_now.data or "")["event_id"] == str(new.event_id)
    assert [f.event for f in replayed] == ["alert.escalated", "alert.acknowledged", "alert.raised"]
    assert [json.loads(f.data or "")["event_id"] for f in replayed[:2]] == [
        str(e.event_id) for e in old[1:]
    ]


async def test_the_last_event_id_header_wins_over_the_query_of_the_url_first_opened(
    journal: Journal, base: str
) -> None:
    a, b, c = raised("v-a"), raised("v-b"), raised("v-c")
    seqs = await journal.append(a, b, c)
    async with httpx.AsyncClient(base_url=base, headers=BEARER, timeout=10) as http:
        url = f"/v1/alerts/stream?last_event_id={seqs[0] - 1}"
        async with http.stream("GET", url, headers={"Last-Event-ID": str(seqs[1])}) as answer:
            frame = await within(FrameReader(answer).next_event())
        bad = await http.get("/v1/alerts/stream", headers={"Last-Event-ID": "yesterday"})
    assert json.loads(frame.data or "")["event_id"] == str(c.event_id)
    assert bad.status_code == 400


async def test_the_stream_needs_a_consultant_session_and_takes_the_session_cookie(
    journal: Journal, base: str
) -> None:
    alert = raised()
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        anonymous = await http.get("/v1/alerts/stream")
        forged = await http.get("/v1/alerts/stream", headers={"Authorization": "Bearer x.y"})
        async with http.stream(
            "GET",
            "/v1/alerts/stream",
            cookies={SESSION_COOKIE: BEARER["Authorization"].split()[1]},
        ) as answer:
            status = answer.status_code
            reader = FrameReader(answer)
            await journal.append(alert)
            frame = await within(reader.next_event())
    assert (anonymous.status_code, forged.status_code, status) == (401, 401, 200)
    assert json.loads(frame.data or "")["alert_id"] == str(alert.alert_id)


async def test_a_quiet_stream_sends_keepalive_comments(journal: Journal) -> None:
    with serving(feed(journal, keepalive_s=0.3)) as base:
        async with streaming(base) as reader:
            opening = await within(reader.next())
            ping = await within(reader.next())
    assert opening.retry == "2000"
    assert (ping.comment, ping.event, ping.data) == ("keepalive", None, None)


async def test_a_notified_stream_sends_at_once_instead_of_at_the_next_poll(
    journal: Journal,
) -> None:
    notifier = Notifier()
    with serving(feed(journal, notifier=notifier, poll_s=60)) as base:
        async with streaming(base) as reader:
            await within(reader.next())
            alert = raised()
            await journal.append(alert)
            notifier.notify()
            frame = await within(reader.next_event())
    assert json.loads(frame.data or "")["event_id"] == str(alert.event_id)


async def test_the_server_lets_go_of_a_stream_when_its_client_disconnects(
    journal: Journal,
) -> None:
    notifier = Notifier()
    with serving(feed(journal, notifier=notifier)) as base:
        async with streaming(base) as reader:
            await within(reader.next())
            open_streams = notifier.listeners
        deadline = time.monotonic() + 10
        while notifier.listeners and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert (open_streams, notifier.listeners) == (1, 0)
