"""Outbound webhooks: raised (skip and sales-request) and escalated alerts POSTed, signed, in
journal order, to one URL.

Receivers check a delivery with `verify_signature(secret, X-CRM-Timestamp, raw body,
X-CRM-Signature)`; the signature is `v1=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from prometheus_client import Counter
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import MetaData, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.journal import journal_table, page, position_table
from services.common.worker import Worker, woken

log = logging.getLogger(__name__)
POSITION = "webhook"
SENT_TYPES = frozenset({"alert.raised.v1", "sales_alert.raised.v1", "alert.escalated.v1"})

DELIVERIES = Counter(
    "crm_alerts_webhook_deliveries_total",
    "Webhook deliveries by outcome: delivered, rejected (4xx), exhausted (retries used up)",
    ["outcome"],
)
FAILED_ATTEMPTS = Counter(
    "crm_alerts_webhook_failed_attempts_total", "Webhook attempts that will be retried"
)


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_ALERTS_WEBHOOK_", extra="ignore")

    url: str = ""
    secret: SecretStr = SecretStr("")
    max_attempts: int = Field(default=8, ge=1, le=20)
    timeout_s: float = Field(default=10.0, gt=0)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    header: str,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` (X-CRM-Signature) signs this exact body and timestamp with `secret`,
    and the timestamp is within `tolerance_s` of now (an old delivery replayed is refused)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance_s:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = sign(secret, sent_at, raw)
    offered = [part.strip() for part in header.split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class WebhookNotifier:
    """Reads the alerts journal after its own saved position and delivers each raised or
    escalated alert before the next: at least once, in order. It runs beside the consumer and
    never holds it up; while one delivery is being retried, later ones wait."""

    def __init__(
        self,
        engine: AsyncEngine,
        url: str,
        secret: str,
        *,
        max_attempts: int = 8,
        first_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        timeout_s: float = 10.0,
        poll_s: float = 1.0,
        batch: int = 100,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.engine, self.url, self.secret = engine, url, secret
        self.max_attempts, self.first_delay_s, self.max_delay_s = (
            max_attempts,
            first_delay_s,
            max_delay_s,
        )
        self.timeout_s, self.poll_s, self.batch, self.sleep = timeout_s, poll_s, batch, sleep
        metadata = MetaData()
        self.journal = journal_table(metadata, "alerts")
        self.position = position_table(metadata, "alerts")
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        # One sender across instances, or each would deliver every alert.
        self._worker = Worker(
            "alerts-webhooks",
            self._deliver_then_wait,
            leader_lock=(engine, "alerts_journal:webhook"),
        )

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Begin delivering. The first start ever begins at the journal's end: enabling a
        webhook does not replay alerts raised before it existed."""
        async with self.engine.begin() as conn:
            if await self._saved(conn) is None:
                end = (await conn.execute(select(func.max(self.journal.c.seq)))).scalar()
                await self._save(conn, int(end or 0))
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def deliver_pending(self) -> int:
        """Deliver what the journal holds past the saved position; returns rows read."""
        async with self.engine.connect() as conn:
            last = await self._saved(conn) or 0
            rows = (await conn.execute(page(self.journal, last, self.batch))).all()
        for row in rows:
            if row.type in SENT_TYPES:
                await self.deliver(row.event_id, row.type, row.payload.encode())
            async with self.engine.begin() as conn:
                await self._save(conn, row.seq)
        return len(rows)

    async def deliver(self, event_id: str, kind: str, body: bytes) -> str:
        """POST one event until it is accepted, rejected, or the attempts run out."""
        for attempt in range(1, self.max_attempts + 1):
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "hero-journey-crm-webhooks/1",
                "X-CRM-Event": kind,
                "X-CRM-Delivery": event_id,
                "X-CRM-Timestamp": str(timestamp),
                "X-CRM-Signature": sign(self.secret, timestamp, body),
            }
            try:
                answer = await self._http().post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                problem, wait = repr(exc), None
            else:
                if answer.is_success:
                    DELIVERIES.labels("delivered").inc()
                    return "delivered"
                if answer.status_code != 429 and answer.status_code < 500:
                    log.error(
                        "webhook %s for %s rejected with %s; not retried",
                        event_id,
                        kind,
                        answer.status_code,
                    )
                    DELIVERIES.labels("rejected").inc()
                    return "rejected"
                problem, wait = f"HTTP {answer.status_code}", _retry_after(answer)
            if attempt == self.max_attempts:
                break
            FAILED_ATTEMPTS.inc()
            delay = min(self.first_delay_s * 2 ** (attempt - 1), self.max_delay_s)
            if wait is not None:
                delay = min(max(delay, wait), self.max_delay_s)
            log.warning(
                "webhook %s attempt %d failed (%s); next in %.1fs",
                event_id,
                attempt,
                problem,
                delay,
            )
            await self.sleep(delay)
        log.error("webhook %s for %s gave up after %d attempts", event_id, kind, self.max_attempts)
        DELIVERIES.labels("exhausted").inc()
        return "exhausted"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False)
        return self._client

    async def _deliver_then_wait(self) -> None:
        self._wake.clear()
        if await self.deliver_pending() < self.batch:
            await woken(self._wake, self.poll_s)

    async def _saved(self, conn: AsyncConnection) -> int | None:
        query = select(self.position.c.seq).where(self.position.c.name == POSITION)
        row = (await conn.execute(query)).first()
        return None if row is None else int(row[0])

    async def _save(self, conn: AsyncConnection, seq: int) -> None:
        done = await conn.execute(
            update(self.position).where(self.position.c.name == POSITION).values(seq=seq)
        )
        if done.rowcount == 0:
            await conn.execute(insert(self.position).values(name=POSITION, seq=seq))


def _retry_after(answer: httpx.Response) -> float | None:
    try:
        return float(answer.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def webhook_notifier(
    engine: AsyncEngine, settings: WebhookSettings | None = None
) -> WebhookNotifier | None:
    """The notifier when CRM_ALERTS_WEBHOOK_URL is set, else None."""
    settings = settings or WebhookSettings()
    if not settings.url:
        return None
    secret = settings.secret.get_secret_value()
    if not secret:
        raise ValueError("CRM_ALERTS_WEBHOOK_SECRET must be set when CRM_ALERTS_WEBHOOK_URL is")
    return WebhookNotifier(
        engine,
        settings.url,
        secret,
        max_attempts=settings.max_attempts,
        timeout_s=settings.timeout_s,
    )
