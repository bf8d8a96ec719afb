"""Composition root of `crm-journey serve all`: every service in one process, as the embedded
product composes them, but over Kafka and PostgreSQL. Each service keeps its own engine (its own
database URL setting, else CRM_DATABASE_URL), its own tables and migrations and its own consumer
groups, so the same data can later be served by one process per service without a migration.
One process also puts the pages, `/login` and `/v1/auth/*` on one origin with no reverse proxy."""

from __future__ import annotations

from fastapi import FastAPI

from services.alerts.main import build as build_alerts
from services.alerts.settings import AlertsSettings
from services.billing.main import build as build_billing
from services.billing.settings import BillingSettings
from services.common.app import assemble
from services.common.db import create_engine
from services.common.kafka import KafkaTransport
from services.common.sessions import Sessions
from services.common.settings import CommonSettings
from services.content.main import build as build_content
from services.content.settings import ContentSettings
from services.ingest.main import build as build_ingest
from services.ingest.settings import IngestSettings
from services.journey.main import build as build_journey
from services.journey.settings import JourneySettings
from services.planning.main import build as build_planning
from services.planning.settings import PlanningSettings
from services.projections.main import build as build_projections
from services.projections.settings import ProjectionsSettings


def create_app(common: CommonSettings | None = None) -> FastAPI:
    """The caller checks the secrets first (`serve` refuses to start without them)."""
    common = common or CommonSettings()
    journey, alerts, projections = JourneySettings(), AlertsSettings(), ProjectionsSettings()
    planning, ingest, content = PlanningSettings(), IngestSettings(), ContentSettings()
    billing = BillingSettings()
    # One producer and one broker for the process; every subscription keeps its own group.
    transport = KafkaTransport.from_settings(common, "crm-all")
    secret = common.session_secret.get_secret_value()
    alerts_engine = create_engine(alerts.database_url or common.database_url)
    app = assemble(
        "Hero Journey CRM",
        [
            build_ingest(
                create_engine(ingest.database_url or common.database_url), transport, ingest, common
            ),
            build_journey(
                create_engine(journey.database_url or common.database_url), transport, journey
            ),
            build_alerts(
                alerts_engine,
                transport,
                alerts,
                common,
                session_secret=secret,
            ),
            build_projections(
                create_engine(projections.database_url or common.database_url), projections
            ),
            build_planning(
                create_engine(planning.database_url or common.database_url), transport, planning
            ),
            build_content(
                create_engine(content.database_url or common.database_url),
                transport,
                content,
                common,
            ),
            build_billing(
                create_engine(billing.database_url or common.database_url),
                transport,
                billing,
                common,
            ),
        ],
        transport,
        common,
        session_secret=secret,
        producer_keys=common.producer_keys(),
        sessions=Sessions(alerts_engine),
    )
    return app
