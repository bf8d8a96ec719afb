"""Composition root of the journey service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.outbox import Relay
from services.common.settings import CommonSettings
from services.common.transport import Subscription, Transport
from services.journey.api import MAX_IMPORT_BYTES, router
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.handlers import Journey
from services.journey.rules_file import load_rules
from services.journey.settings import JourneySettings
from services.journey.tables import prospects as store

GROUP = "journey"


def rules_of(settings: JourneySettings) -> Rules:
    """The configured rules; a bad rules file raises RulesError naming the line and problem."""
    return load_rules(settings.rules_file) if settings.rules_file else DEFAULT_RULES


def build(engine: AsyncEngine, transport: Transport, settings: JourneySettings) -> ServiceParts:
    rules = rules_of(settings)
    relay = Relay(engine, store.journal, store.relay_position, transport)
    journey = Journey(engine, rules, relay)

    async def startup() -> None:
        await migrate(engine, "journey", store.MIGRATIONS)

    async def shutdown() -> None:
        await relay.stop()
        await engine.dispose()

    return ServiceParts(
        "journey",
        routers=[router(engine, journey, rules)],
        subscriptions=[
            Subscription(
                GROUP, (topics.WEB,), journey.record_web_events, max_batch=settings.batch_size
            )
        ],
        startup=startup,
        started=relay.start,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
        body_limits={"/v1/prospects/import": MAX_IMPORT_BYTES},
    )


def create_app(
    settings: JourneySettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or JourneySettings()
    common = common or CommonSettings()
    return serve_alone(
        "journey",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings),
    )
