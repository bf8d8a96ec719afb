"""Composition root of the planning service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.catalogue import type_name
from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.outbox import Relay
from services.common.settings import CommonSettings
from services.common.transport import Subscription, Transport
from services.planning import store
from services.planning.api import router
from services.planning.domain import LEARNED_FROM
from services.planning.handlers import Planning
from services.planning.settings import PlanningSettings

GROUP = "planning"


def build(engine: AsyncEngine, transport: Transport, settings: PlanningSettings) -> ServiceParts:
    """Consultants' roadmap notes, the write side: the notes are checked against the prospect
    ids the journey created, journaled, and published on `crm.planning` by the relay."""
    relay = Relay(engine, store.journal, store.relay_position, transport)
    planning = Planning(engine, relay)

    async def startup() -> None:
        await migrate(engine, "planning", store.MIGRATIONS)

    async def started() -> None:
        await relay.start()

    async def shutdown() -> None:
        await relay.stop()
        await engine.dispose()

    return ServiceParts(
        "planning",
        routers=[router(planning)],
        subscriptions=[
            Subscription(
                GROUP,
                (topics.JOURNEY,),
                planning.record_journey_events,
                max_batch=settings.batch_size,
                types=frozenset(type_name(c) for c in LEARNED_FROM),  # the rest, unparsed
            )
        ],
        startup=startup,
        started=started,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
    )


def create_app(
    settings: PlanningSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or PlanningSettings()
    common = common or CommonSettings()
    return serve_alone(
        "planning",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings),
    )
