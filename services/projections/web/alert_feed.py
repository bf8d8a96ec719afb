"""`GET /v1/analytics/alerts`: how fast consultants answer skip alerts, per priority."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import ConsultantSession
from services.projections.models.alert_feed import responses
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import versions
from services.projections.web.analytics import PREFIX, From, To, window_of


class Durations(BaseModel):
    count: int
    average_seconds: float | None
    median_seconds: float | None
    p90_seconds: float | None


class PriorityResponses(BaseModel):
    priority: str
    raised: int
    pending: int
    acknowledged: int
    actioned: int
    resolved: int
    expired: int
    escalated: int
    time_to_acknowledge: Durations = Field(description="raised to acknowledged (or actioned)")
    time_to_action: Durations = Field(description="raised to actioned")


class AlertResponses(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: datetime | None = Field(alias="from", description="start of the window, if any")
    to: datetime | None = Field(description="end of the window (exclusive), if any")
    priorities: list[PriorityResponses]


def alert_feed_router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(tags=["analytics"])

    # Described, not serialised, by the model: the answer's times keep their `+00:00` form.
    @api.get(f"{PREFIX}/alerts", response_model=None, responses={200: {"model": AlertResponses}})
    async def alert_responses(
        _who: ConsultantSession, first: From = None, to: To = None
    ) -> dict[str, Any]:
        """Alerts raised in the days given (all when none): per priority, how many, in which
        status now, how many escalated, and the time from raised to acknowledged (or actioned
        directly) and to actioned: count, average, median and p90 in seconds."""
        window = window_of(first, to)
        async with engine.connect() as conn:
            table = (await versions.active_models(conn)).alerts
            rows = await alert_feed_store.raised_between(conn, window.start, window.end, table)
        return {
            "from": window.start,
            "to": window.end,
            "priorities": [r.summary() for r in responses(rows)],
        }

    return api
