from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.stages import FIRST_STAGE, LAST_STAGE
from services.common.auth import ConsultantSession
from services.projections.models.board import BoardRow, stage_name
from services.projections.models.notes import RoadmapNote
from services.projections.tables import board as board_store
from services.projections.tables import cursor as board_cursor
from services.projections.tables import notes as notes_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables import versions


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
    tier: str = Field(description="from the billing service's upgrades; else the default tier")
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


def router(engine: AsyncEngine, names: tuple[str, ...], default_tier: str) -> APIRouter:
    api = APIRouter(tags=["projections"])

    @api.get("/v1/board", response_model=BoardPage)
    async def board(
        _who: ConsultantSession,
        stage: Annotated[int | None, Query(ge=FIRST_STAGE, le=LAST_STAGE)] = None,
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
        filters = board_store.Filters(stage, entry_point, utm_campaign, q)
        async with engine.connect() as conn:
            models = await versions.active_models(conn)
            tables = models.board
            found = await board_store.page(
                conn, filters, after=after, limit=limit + 1, tables=tables
            )
            counts = await board_store.stage_counts(conn, filters, tables)
            tiers = await tiers_store.tiers_of(
                conn, tables, [r.prospect_id for r in found[:limit]], default_tier, models.tiers
            )
        more = len(found) > limit
        found = found[:limit]
        return BoardPage(
            rows=[card(r, names, tiers[r.prospect_id]) for r in found],
            stages=[
                StageCount(stage=s, name=stage_name(s, names), count=n) for s, n in counts.items()
            ],
            total=counts[stage] if stage is not None else sum(counts.values()),
            next_cursor=board_cursor.encode_cursor(found[-1]) if more else None,
        )

    return api


class RoadmapNoteView(BaseModel):
    note_id: uuid.UUID
    prospect_id: str
    text: str
    author: str
    recorded_at: datetime


class RoadmapNotes(BaseModel):
    notes: list[RoadmapNoteView] = Field(description="newest first")


def notes_router(engine: AsyncEngine) -> APIRouter:
    api = APIRouter(tags=["projections"])

    @api.get("/v1/prospects/{prospect_id}/roadmap-notes", response_model=RoadmapNotes)
    async def roadmap_notes(prospect_id: str, _who: ConsultantSession) -> RoadmapNotes:
        """A prospect's roadmap notes, newest first."""
        async with engine.connect() as conn:
            table = (await versions.active_models(conn)).notes
            notes = (await notes_store.notes_of(conn, [prospect_id], table=table))[prospect_id]
        return RoadmapNotes(notes=[note_view(n) for n in notes])

    return api


def note_view(note: RoadmapNote) -> RoadmapNoteView:
    return RoadmapNoteView(
        note_id=uuid.UUID(note.note_id),
        prospect_id=note.prospect_id,
        text=note.text,
        author=note.author,
        recorded_at=note.recorded_at,
    )


def card(row: BoardRow, names: tuple[str, ...], tier: str) -> BoardCard:
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
        tier=tier,
        entry_point=entry,
        entered_stage_at=row.entered_stage_at,
        created_at=row.created_at,
        last_activity_at=row.last_activity_at,
    )


def _cursor(cursor: str) -> tuple[datetime, str]:
    try:
        return board_cursor.decode_cursor(cursor)
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
