"""Composition root of the ingest service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.limits import KeyLimits
from services.common.settings import CommonSettings
from services.common.transport import Transport
from services.ingest import segment, store, tracker
from services.ingest.api import MAX_BODY_BYTES, router
from services.ingest.publisher import BoundedPublisher
from services.ingest.segment_map import EventNames
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


def build(
    engine: AsyncEngine, transport: Transport, settings: IngestSettings, common: CommonSettings
) -> ServiceParts:
    origins = [o.strip() for o in common.ingest_cors_origins.split(",") if o.strip()]
    limits = KeyLimits(settings.key_events_per_second, settings.key_burst)
    retention = timedelta(days=settings.fingerprint_retention_days)
    pruning: list[asyncio.Task[None]] = []
    names = EventNames(settings.segment_click_event, settings.segment_form_event)
    publisher = BoundedPublisher(transport, settings.publish_bound_s)

    async def prune_now_and_then() -> None:
        while True:
            try:
                gone = await store.prune(engine, datetime.now(UTC) - retention)
                if gone:
                    log.info("forgot %d event fingerprint(s) past their retention", gone)
            except Exception as exc:  # the next round tries again; requests are unaffected
                log.warning("pruning event fingerprints failed: %r", exc)
            await asyncio.sleep(PRUNE_EVERY_S)

    async def startup() -> None:
        await migrate(engine, "ingest", store.MIGRATIONS)
        tracker.hide_query_keys_in_access_log()

    async def started() -> None:
        pruning.append(asyncio.create_task(prune_now_and_then()))

    async def shutdown() -> None:
        for task in pruning:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()

    return ServiceParts(
        "ingest",
        routers=[
            router(publisher, engine, limits, origins),
            segment.router(publisher, engine, limits, names),
            tracker.router(),
        ],
        startup=startup,
        started=started,
        shutdown=shutdown,
        ready=lambda: ready(engine, publisher),
        cors_origins=origins,
        body_limits={"/v1/events": MAX_BODY_BYTES, **segment.BODY_LIMITS},
    )


async def ready(engine: AsyncEngine, publisher: BoundedPublisher) -> bool:
    """The database answers, and no publish is pending past its bound (the log is taking
    events): while one is, requests are answered 503 and a load balancer may route elsewhere."""
    return await database_ready(engine) and not publisher.stalled


def create_app(
    settings: IngestSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or IngestSettings()
    common = common or CommonSettings()
    return serve_alone(
        "ingest",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings, common),
    )
