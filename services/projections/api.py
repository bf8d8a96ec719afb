from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import ConsultantSession
from services.projections import store
from services.projections.projector import BoardRow, stage_name


class BoardEntryPoint(BaseModel):
    kind: str = Field(description="'cta' for a first click, 'inquiry' for an inquiry form")
    cta_id: str | None
    cta_label: str | None
    form_id: str | None
    page: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    captured_at: datetime | None


class BoardCard(BaseModel):
    prospect_id: str
    email: str | None
    stage: int
    stage_name: str
    points: int
    clicks: int
    imported: bool
    entry_point: BoardEntryPoint | None = Field(description="null for imported prospects")
    entered_stage_at: datetime
    created_at: datetime
    last_activity_at: datetime = Field(description="the prospect's latest click or form")


class StageCount(BaseModel):
    stage: int
    name: str
    count: int


class BoardPage(BaseModel):
    rows: list[BoardCard] = Field(description="most recent activity first")
    stages: list[StageCount] = Field(description="per stage, under every filter but `stage`")
    total: int = Field(description="rows under every filter, `stage` too")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


def router(engine: AsyncEngine, names: tuple[str, ...]) -> APIRouter:
    api = APIRouter(tags=["projections"])

    @api.get("/v1/board", response_model=BoardPage)
    async def board(
        _who: ConsultantSession,
        stage: Annotated[int | None, Query(ge=1, le=6)] = None,
        entry_point: Annotated[
            str | None, Query(min_length=1, max_length=200, description="the entry CTA's id")
        ] = None,
        utm_campaign: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        q: Annotated[
            str | None, Query(max_length=200, description="part of the prospect's id or email")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> BoardPage:
        """The board's prospects with their stage, entry point and time in stage."""
        after = _cursor(cursor) if cursor else None
        filters = store.Filters(stage, entry_point, utm_campaign, q)
        async with engine.connect() as conn:
            found = await store.page(conn, filters, after=after, limit=limit + 1)
            counts = await store.stage_counts(conn, filters)
        more = len(found) > limit
        found = found[:limit]
        return BoardPage(
            rows=[card(r, names) for r in found],
            stages=[
                StageCount(stage=s, name=stage_name(s, names), count=n) for s, n in counts.items()
            ],
            total=counts[stage] if stage is not None else sum(counts.values()),
            next_cursor=store.encode_cursor(found[-1]) if more else None,
        )

    return api


def card(row: BoardRow, names: tuple[str, ...]) -> BoardCard:
    entry = None
    if row.entry_kind is not None:
        entry = BoardEntryPoint(
            kind=row.entry_kind,
            cta_id=row.entry_cta_id,
            cta_label=row.entry_cta_label,
            form_id=row.entry_form_id,
            page=row.entry_page,
            utm_source=row.utm_source,
            utm_medium=row.utm_medium,
            utm_campaign=row.utm_campaign,
            captured_at=row.entry_captured_at,
        )
    return BoardCard(
        prospect_id=row.prospect_id,
        email=row.email,
        stage=row.stage,
        stage_name=stage_name(row.stage, names),
        points=row.points,
        clicks=row.clicks,
        imported=row.imported,
        entry_point=entry,
        entered_stage_at=row.entered_stage_at,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
    )


def _cursor(cursor: str) -> tuple[datetime, str]:
    try:
        return store.decode_cursor(cursor)
    except ValueError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "not a cursor this API returned",
                    "type": "value_error",
                }
            ]
        ) from exc
