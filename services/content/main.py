"""Composition root of the content service."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.outbox import Relay
from services.common.settings import CommonSettings
from services.common.transport import Transport
from services.content import store, widget
from services.content.api import router
from services.content.generator import AnthropicGenerator
from services.content.handlers import Content
from services.content.retrieval import Library
from services.content.settings import ContentSettings
from services.content.submissions import Submissions


def build(
    engine: AsyncEngine, transport: Transport, settings: ContentSettings, common: CommonSettings
) -> ServiceParts:
    """Gated playbooks: their metadata, and the copy above their forms, written by the model
    (or the fallback), journaled and published on `crm.content` by the relay."""
    relay = Relay(engine, store.journal, store.relay_position, transport)
    generator = AnthropicGenerator(
        settings.model,
        timeout_s=settings.generation_budget_s,
        max_tokens=settings.max_tokens,
    )
    content = Content(
        engine,
        relay,
        generator,
        Library.load(),
        budget_s=settings.generation_budget_s,
        max_age=timedelta(days=settings.cache_days),
    )

    async def startup() -> None:
        await migrate(engine, "content", store.MIGRATIONS)

    async def started() -> None:
        await relay.start()

    async def shutdown() -> None:
        await relay.stop()
        await generator.close()
        await engine.dispose()

    # Websites fetch the gate from the browser, as they post events.
    origins = [o.strip() for o in common.ingest_cors_origins.split(",") if o.strip()]
    return ServiceParts(
        "content",
        routers=[router(content, Submissions(engine, relay)), widget.router()],
        startup=startup,
        started=started,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
        cors_origins=origins,
    )


def create_app(
    settings: ContentSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or ContentSettings()
    common = common or CommonSettings()
    return serve_alone(
        "content",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings, common),
    )
