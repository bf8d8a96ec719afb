"""Composition root of the alerts service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from services.alerts import store
from services.alerts.access import accounts_router
from services.alerts.api import router
from services.alerts.handlers import ACTED_ON, Alerts
from services.alerts.live import Notifier, live_router
from services.alerts.settings import AlertsSettings
from services.alerts.sweeper import Sweeper
from services.alerts.webhooks import webhook_notifier
from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.outbox import Relay
from services.common.settings import CommonSettings
from services.common.transport import Subscription, Transport

GROUP = "alerts"


def build(
    engine: AsyncEngine,
    transport: Transport,
    settings: AlertsSettings,
    common: CommonSettings,
    *,
    session_secret: str,
    wakers: Sequence[Callable[[], None]] = (),
) -> ServiceParts:
    """The alerts service with consultant accounts, the live feed and outbound webhooks.
    `wakers` are told after every commit that recorded alert events."""
    relay = Relay(engine, store.journal, store.relay_position, transport)
    notifier = Notifier()
    hooks = webhook_notifier(engine)
    alerts = Alerts(
        engine,
        escalate_after=timedelta(minutes=settings.escalate_after_minutes),
        wakers=[notifier.notify, *([hooks.wake] if hooks else []), *wakers],
        relay=relay,
    )
    sweeper = Sweeper(alerts, settings.sweep_interval_seconds)

    async def startup() -> None:
        await migrate(engine, "alerts", store.MIGRATIONS)

    async def started() -> None:
        await relay.start()
        await sweeper.start()
        if hooks is not None:
            await hooks.start()

    async def shutdown() -> None:
        if hooks is not None:
            await hooks.stop()
        await sweeper.stop()
        await relay.stop()
        await engine.dispose()

    return ServiceParts(
        "alerts",
        routers=[
            router(engine, alerts),
            live_router(engine, notifier=notifier),
            accounts_router(engine, session_secret, common.session_ttl_hours * 3600),
        ],
        subscriptions=[
            Subscription(
                GROUP,
                (topics.JOURNEY, topics.BILLING),
                alerts.record_events,
                max_batch=settings.batch_size,
                types=ACTED_ON,
            )
        ],
        startup=startup,
        started=started,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
    )


def create_app(
    settings: AlertsSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or AlertsSettings()
    common = common or CommonSettings()
    secret = common.session_secret.get_secret_value()
    return serve_alone(
        "alerts",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings, common, session_secret=secret),
        accounts_here=True,
    )
