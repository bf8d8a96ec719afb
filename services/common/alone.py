"""One service in a process of its own (`crm-journey serve <service>`): its engine on its own
database URL (else CRM_DATABASE_URL), a Kafka transport named after it, and the app `assemble`
makes of its parts."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.app import ServiceParts, assemble
from services.common.db import create_engine
from services.common.kafka import KafkaTransport
from services.common.sessions import Sessions
from services.common.settings import CommonSettings
from services.common.transport import Transport


def serve_alone(
    name: str,
    database_url: str | None,
    common: CommonSettings,
    build: Callable[[AsyncEngine, Transport], ServiceParts],
    *,
    accounts_here: bool = False,
) -> FastAPI:
    """`accounts_here`: the service's own database holds the accounts sessions are checked
    against (the alerts service's)."""
    engine = create_engine(database_url or common.database_url)
    transport = KafkaTransport.from_settings(common, f"crm-{name}")
    return assemble(
        f"Hero Journey CRM {name}",
        [build(engine, transport)],
        transport,
        common,
        producer_keys=common.producer_keys(),
        sessions=Sessions(engine) if accounts_here else None,
    )
