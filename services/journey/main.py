"""Composition root of the journey service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from services.common.app import ServiceParts, assemble
from services.common.db import create_engine, migrate
from services.common.kafka import KafkaTransport
from services.common.settings import CommonSettings
from services.common.transport import Subscription
from services.journey import store
from services.journey.api import router
from services.journey.handlers import record_web_events
from services.journey.settings import JourneySettings

GROUP = "journey"


def build(engine: AsyncEngine, settings: JourneySettings) -> ServiceParts:
    async def startup() -> None:
        await migrate(engine, "journey", store.MIGRATIONS)

    async def ready() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    return ServiceParts(
        "journey",
        routers=[router(engine)],
        subscriptions=[
            Subscription(
                GROUP, (topics.WEB,), record_web_events(engine), max_batch=settings.batch_size
            )
        ],
        startup=startup,
        shutdown=engine.dispose,
        ready=ready,
    )


def create_app(
    settings: JourneySettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or JourneySettings()
    common = common or CommonSettings()
    engine = create_engine(settings.database_url or common.database_url)
    transport = KafkaTransport(
        common.kafka_bootstrap_servers,
        client_id="crm-journey",
        partitions=common.kafka_partitions,
        replication_factor=common.kafka_replication_factor,
        namespace=common.kafka_namespace,
    )
    return assemble(
        "Hero Journey CRM journey",
        [build(engine, settings)],
        transport,
        session_secret=common.session_secret.get_secret_value(),
    )
