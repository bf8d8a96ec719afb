from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.values import EntryPoint
from services.common.auth import ConsultantSession
from services.journey import store
from services.journey.domain import STAGE_NAMES


class ProspectView(BaseModel):
    id: str
    stage: int
    stage_name: str
    points: int
    email: str | None
    entry_point: EntryPoint | None
    clicks: int
    created_at: datetime
    last_activity_at: datetime


def router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(tags=["journey"])

    @api.get("/v1/prospects/{prospect_id}", response_model=ProspectView)
    async def get_prospect(prospect_id: str, _who: ConsultantSession) -> ProspectView:
        async with engine.connect() as conn:
            found = (await store.load(conn, [prospect_id])).get(prospect_id)
        if found is None:
            raise HTTPException(404, detail=f"no prospect with id {prospect_id!r}")
        return ProspectView(
            id=found.id,
            stage=found.stage,
            stage_name=STAGE_NAMES[found.stage],
            points=found.points,
            email=found.email,
            entry_point=found.entry_point,
            clicks=found.clicks,
            created_at=found.created_at,
            last_activity_at=found.last_activity_at,
        )

    return api
