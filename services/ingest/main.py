"""Composition root of the ingest service."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import ServiceParts, assemble
from services.common.kafka import KafkaTransport
from services.common.settings import CommonSettings
from services.common.transport import Transport
from services.ingest.api import MAX_BODY_BYTES, router


def build(transport: Transport, settings: CommonSettings) -> ServiceParts:
    origins = [o.strip() for o in settings.ingest_cors_origins.split(",") if o.strip()]
    return ServiceParts(
        "ingest",
        routers=[router(transport)],
        cors_origins=origins,
        body_limits={"/v1/events": MAX_BODY_BYTES},
    )


def create_app(settings: CommonSettings | None = None) -> FastAPI:
    settings = settings or CommonSettings()
    transport = KafkaTransport.from_settings(settings, "crm-ingest")
    return assemble(
        "Hero Journey CRM ingest",
        [build(transport, settings)],
        transport,
        settings,
        producer_keys=settings.producer_keys(),
    )
