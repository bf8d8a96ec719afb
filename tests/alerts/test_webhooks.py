"""Outbound alert webhooks delivered over real HTTP to a local receiver, from the alerts journal
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select

from services.alerts.webhooks import (
    POSITION,
    WebhookNotifier,
    WebhookSettings,
    sign,
    verify_signature,
    webhook_notifier,
)
from tests.alerts.serving import (
    Journal,
    acknowledged,
    database_url,
    escalated,
    journal_at,
    raised,
    serving,
)
from tests.processes import free_port

HOOK_SECRET = "whsec-test"


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200) and records what came."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append((dict(request.headers), body))
                code, headers = self.script.pop(0) if self.script else (200, {})
            return Response(status_code=code, headers=headers)

        return app

    def deliveries(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(h["x-crm-event"], h["x-crm-delivery"]) for h, _ in self.received]


class Waits:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture(params=["sqlite", "postgresql"])
async def journal(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[Journal]:
    server = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    url = await database_url(request.param, tmp_path, server, f"hooks_{unique}")
    async with journal_at(url) as opened:
        yield opened


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    found = Receiver()
    with serving(found.app()) as base:
        yield found, f"{base}/hook"


@pytest.fixture
async def notifier() -> AsyncIterator[Callable[..., WebhookNotifier]]:
    made: list[WebhookNotifier] = []

    def make(journal: Journal, url: str, waits: Waits, **options: Any) -> WebhookNotifier:
        made.append(WebhookNotifier(journal.engine, url, HOOK_SECRET, sleep=waits, **options))
        return made[-1]

    yield make
    for each in made:
        await each.stop()


def counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value("crm_alerts_webhook_deliveries_total", {"outcome": outcome})
    return value or 0.0


async def saved_position(journal: Journal) -> int | None:
    async with journal.engine.connect() as conn:
        query = select(journal.position.c.seq).where(journal.position.c.name == POSITION)
        return (await conn.execute(query)).scalar()


async def test_an_alert_answered_503_is_retried_and_arrives_signed_before_the_next(
    journal: Journal, receiver: tuple[Receiver, str], notifier: Callable[..., WebhookNotifier]
) -> None:
    hook, url = receiver
    hook.script = [(503, {})]
    alert, waits = raised(), Waits()
    later = [acknowledged(alert), escalated(alert, minute=3)]
    seqs = await journal.append(alert, *later)

    assert await notifier(journal, url, waits).deliver_pending() == 3

    assert hook.deliveries() == [
        ("alert.raised.v1", str(alert.event_id)),
        ("alert.raised.v1", str(alert.event_id)),
        ("alert.escalated.v1", str(later[1].event_id)),
    ]
    assert waits.delays == [1.0]
    for headers, body in hook.received:
        assert headers["content-type"] == "application/json"
        assert abs(int(headers["x-crm-timestamp"]) - time.time()) < 60
        assert verify_signature(
            HOOK_SECRET, headers["x-crm-timestamp"], body, headers["x-crm-signature"]
        )
    assert json.loads(hook.received[0][1]) == json.loads(alert.model_dump_json())
    assert await saved_position(journal) == seqs[-1]


async def test_a_400_answer_is_not_retried_and_later_alerts_still_go_out(
    journal: Journal, receiver: tuple[Receiver, str], notifier: Callable[..., WebhookNotifier]
) -> None:
    hook, url = receiver
    hook.script = [(400, {})]
    refused, accepted, waits = raised("v-1"), raised("v-2"), Waits()
    await journal.append(refused, accepted)
    rejected_before = counted("rejected")

    await notifier(journal, url, waits).deliver_pending()

    assert hook.deliveries() == [
        ("alert.raised.v1", str(refused.event_id)),
        ("alert.raised.v1", str(accepted.event_id)),
    ]
    assert waits.delays == []
    assert counted("rejected") == rejected_before + 1


async def test_a_429_waits_at_least_as_long_as_the_receiver_asked(
    journal: Journal, receiver: tuple[Receiver, str], notifier: Callable[..., WebhookNotifier]
) -> None:
    hook, url = receiver
    hook.script = [(429, {"Retry-After": "30"}), (502, {})]
    waits = Waits()
    await journal.append(raised())

    await notifier(journal, url, waits).deliver_pending()

    assert len(hook.received) == 3
    assert waits.delays == [30.0, 2.0]


async def test_an_unreachable_receiver_is_retried_with_doubling_delays_then_given_up(
    journal: Journal, notifier: Callable[..., WebhookNotifier]
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/hook"
    gone, capped = Waits(), Waits()
    [seq] = await journal.append(raised())
    exhausted_before = counted("exhausted")

    await notifier(journal, nowhere, gone, max_attempts=4).deliver_pending()
    outcome = await notifier(
        journal, nowhere, capped, max_attempts=5, first_delay_s=100, max_delay_s=300
    ).deliver("id", "alert.raised.v1", b"{}")

    assert gone.delays == [1.0, 2.0, 4.0]
    assert capped.delays == [100.0, 200.0, 300.0, 300.0]
    assert outcome == "exhausted"
    assert counted("exhausted") == exhausted_before + 2
    assert await saved_position(journal) == seq


async def test_running_notifiers_start_at_the_journals_end_and_resume_where_they_stopped(
    journal: Journal, receiver: tuple[Receiver, str], notifier: Callable[..., WebhookNotifier]
) -> None:
    hook, url = receiver
    before, first, second = raised("v-0"), raised("v-1"), raised("v-2")
    await journal.append(before)

    async def run_until(count: int) -> None:
        running = notifier(journal, url, Waits(), poll_s=0.05)
        await running.start()
        try:
            (seq,) = await journal.append(first if count == 1 else second)
            running.wake()
            # Stopped once the delivery is recorded: a stop before that (the answer still on
            # its way) delivers it again on the next start, as at-least-once allows.
            deadline = time.monotonic() + 10
            while await saved_position(journal) != seq and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        finally:
            await running.stop()

    await run_until(1)
    await run_until(2)

    assert [d for _, d in hook.deliveries()] == [str(first.event_id), str(second.event_id)]


async def test_of_two_running_notifiers_on_postgresql_only_one_delivers(
    postgres_url: str, unique: str, tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    alerts = [raised("v-1"), raised("v-2")]
    shared = await database_url("postgresql", tmp_path, postgres_url, f"hooks_two_{unique}")
    async with journal_at(shared) as one, journal_at(shared) as two:
        senders = [WebhookNotifier(j.engine, url, HOOK_SECRET, poll_s=0.05) for j in (one, two)]
        for sender in senders:
            await sender.start()
        try:
            await one.append(*alerts)
            deadline = time.monotonic() + 10
            while len(hook.received) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.5)
        finally:
            for sender in senders:
                await sender.stop()

    assert [d for _, d in hook.deliveries()] == [str(a.event_id) for a in alerts]


def test_a_signature_holds_only_for_the_exact_body_secret_and_a_recent_timestamp() -> None:
    body, now = b'{"type":"alert.raised.v1"}', 1_800_000_000
    header = sign(HOOK_SECRET, now, body)

    assert header.startswith("v1=") and len(header) == 3 + 64
    assert verify_signature(HOOK_SECRET, str(now), body, header, now=now + 299)
    assert verify_signature(HOOK_SECRET, now, body.decode(), f"v1=old, {header}", now=now)
    assert not verify_signature(HOOK_SECRET, now, body + b" ", header, now=now)
    assert not verify_signature("another secret", now, body, header, now=now)
    assert not verify_signature(HOOK_SECRET, now + 1, body, header, now=now)
    assert not verify_signature(HOOK_SECRET, now, body, header, now=now + 301)
    assert not verify_signature(HOOK_SECRET, "soon", body, header, now=now)


async def test_webhooks_are_off_without_a_url_and_refused_without_a_secret(
    journal: Journal,
) -> None:
    assert webhook_notifier(journal.engine, WebhookSettings(url="")) is None
    with pytest.raises(ValueError, match="CRM_ALERTS_WEBHOOK_SECRET must be set"):
        webhook_notifier(
            journal.engine, WebhookSettings(url="https://example.com/hook", secret=SecretStr(""))
        )
    made = webhook_notifier(
        journal.engine,
        WebhookSettings(url="https://example.com/hook", secret=SecretStr("s"), max_attempts=3),
    )
    assert made is not None and (made.url, made.max_attempts) == ("https://example.com/hook", 3)
