"""Composition root of the projections service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.settings import CommonSettings
from services.common.transport import Subscription
from services.projections.handlers import (
    AlertFeedProjection,
    BoardProjection,
    PlaybookStatsProjection,
    RoadmapNotesProjection,
    TierProjection,
)
from services.projections.pages.account import account_router
from services.projections.pages.analyticsdashboard import analyticsdashboard_router
from services.projections.pages.customerjourney import customerjourney_router
from services.projections.pages.customerplanningreview import customerplanningreview_router
from services.projections.pages.humansherpadashboard import humansherpadashboard_router
from services.projections.pages.journeykanban import journeykanban_router
from services.projections.pages.layout import Pages
from services.projections.pages.login import login_router
from services.projections.pages.playbookanalytics import playbookanalytics_router
from services.projections.pages.prospects import prospects_router
from services.projections.settings import ProjectionsSettings
from services.projections.tables import board as board_store
from services.projections.web.alert_feed import alert_feed_router
from services.projections.web.analytics import analytics_api_router
from services.projections.web.board import notes_router, router
from services.projections.web.playbooks import playbooks_api_router
from services.projections.web.reports import Reports

GROUP = "projections"
NOTES_GROUP = "projections-planning"
CONTENT_GROUP = "projections-content"
ALERTS_GROUP = "projections-alerts"
BILLING_GROUP = "projections-billing"


def build(engine: AsyncEngine, settings: ProjectionsSettings) -> ServiceParts:
    """The board read model, its JSON API and the consultants' pages."""
    board = BoardProjection(engine)
    notes = RoadmapNotesProjection(engine)
    playbooks = PlaybookStatsProjection(engine)
    alert_feed = AlertFeedProjection(engine)
    tier_projection = TierProjection(engine)
    names = settings.names()
    pages = Pages()
    reports = Reports(engine, names)

    async def startup() -> None:
        await migrate(engine, "projections", board_store.MIGRATIONS)

    async def shutdown() -> None:
        await engine.dispose()

    return ServiceParts(
        "projections",
        routers=[
            router(engine, names, settings.default_tier),
            notes_router(engine),
            alert_feed_router(engine),
            analytics_api_router(reports, settings),
            playbooks_api_router(engine),
            pages.router(),
            login_router(pages),
            account_router(pages),
            customerjourney_router(engine, pages, names),
            journeykanban_router(engine, pages, names, settings.default_tier),
            humansherpadashboard_router(pages),
            customerplanningreview_router(engine, pages, names, settings.default_tier),
            analyticsdashboard_router(reports, pages, settings),
            playbookanalytics_router(engine, pages),
            prospects_router(engine, pages, names, settings.default_tier),
        ],
        subscriptions=[
            Subscription(
                GROUP, (topics.JOURNEY,), board.record_journey_events, max_batch=settings.batch_size
            ),
            Subscription(
                NOTES_GROUP,
                (topics.PLANNING,),
                notes.record_planning_events,
                max_batch=settings.batch_size,
            ),
            Subscription(
                ALERTS_GROUP,
                (topics.ALERTS,),
                alert_feed.record_alert_events,
                max_batch=settings.batch_size,
            ),
            Subscription(
                BILLING_GROUP,
                (topics.BILLING,),
                tier_projection.record_billing_events,
                max_batch=settings.batch_size,
            ),
            Subscription(
                CONTENT_GROUP,
                (topics.CONTENT,),
                playbooks.record_content_events,
                max_batch=settings.batch_size,
            ),
        ],
        startup=startup,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
    )


def create_app(
    settings: ProjectionsSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or ProjectionsSettings()
    common = common or CommonSettings()
    return serve_alone(
        "projections",
        settings.database_url,
        common,
        lambda engine, _: build(engine, settings),
    )
