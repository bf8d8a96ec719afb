"""Composition root of the billing service."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.catalogue import type_name
from schemas.web import CtaClickedV1
from services.billing import sales_api, store, widget
from services.billing.api import Returns, origin, router
from services.billing.handlers import Billing
from services.billing.payments import StripePayments
from services.billing.sales import SalesDesk
from services.billing.settings import BillingSettings
from services.billing.tiers import load_ladder
from services.common.alone import serve_alone
from services.common.app import ServiceParts
from services.common.db import database_ready, migrate
from services.common.limits import KeyLimits
from services.common.outbox import Relay
from services.common.settings import CommonSettings
from services.common.transport import Subscription, Transport

# Reads the websites' clicks for the tier a CTA declares.
GROUP = "billing-cta-tiers"


def hourly(per_hour: int) -> KeyLimits:
    """A limit per prospect id: `per_hour` at once, then one every hour / `per_hour`."""
    return KeyLimits(rate=per_hour / 3600, burst=per_hour)


def build(
    engine: AsyncEngine, transport: Transport, settings: BillingSettings, common: CommonSettings
) -> ServiceParts:
    """Tiers and upgrades: the access check, Stripe Checkout, Stripe's signed webhook; the
    facts journaled and published on `crm.billing` by the relay. A bad tiers file raises
    TiersError here, before anything starts."""
    ladder = load_ladder(settings.tiers_file)
    relay = Relay(engine, store.journal, store.relay_position, transport)
    payments = StripePayments(
        settings.stripe_api_key.get_secret_value(),
        settings.stripe_webhook_secret.get_secret_value(),
        settings.stripe_api_base,
    )
    billing = Billing(engine, relay, ladder, payments)

    async def startup() -> None:
        await migrate(engine, "billing", store.MIGRATIONS)

    async def started() -> None:
        await relay.start()

    async def shutdown() -> None:
        await relay.stop()
        await engine.dispose()

    # Websites ask the access check from the browser, as they post events.
    origins = [o.strip() for o in common.ingest_cors_origins.split(",") if o.strip()]
    returns = Returns(
        settings.success_url,
        settings.cancel_url,
        None
        if "*" in origins
        else frozenset({*(origin(o) for o in origins), origin(settings.success_url)}),
    )
    checkouts = hourly(settings.checkouts_per_prospect_per_hour)
    return ServiceParts(
        "billing",
        routers=[
            router(billing, returns, checkouts),
            sales_api.router(
                SalesDesk(billing), hourly(settings.sales_requests_per_prospect_per_hour)
            ),
            widget.router(),
        ],
        subscriptions=[
            Subscription(
                GROUP,
                (topics.WEB,),
                billing.record_web_events,
                max_batch=500,
                types=frozenset({type_name(CtaClickedV1)}),  # only clicks declare tiers
            )
        ],
        startup=startup,
        started=started,
        shutdown=shutdown,
        ready=lambda: database_ready(engine),
        cors_origins=origins,
    )


def create_app(
    settings: BillingSettings | None = None, common: CommonSettings | None = None
) -> FastAPI:
    settings = settings or BillingSettings()
    common = common or CommonSettings()
    return serve_alone(
        "billing",
        settings.database_url,
        common,
        lambda engine, transport: build(engine, transport, settings, common),
    )
