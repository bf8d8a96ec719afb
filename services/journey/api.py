from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from schemas.stages import FIRST_STAGE, LAST_STAGE
from schemas.values import EntryPoint
from services.common.auth import AdminSession, ConsultantSession
from services.common.idempotency import KeyReused, fingerprint
from services.common.openapi import FieldError
from services.journey.commands.importing import ImportRefused, import_contacts
from services.journey.domain.decisions import Refused
from services.journey.domain.rules import Rules
from services.journey.domain.state import MoveStage, Prospect
from services.journey.tables import prospects as store

MAX_IMPORT_BYTES = 20 * 1024 * 1024
IDEMPOTENCY_NAMESPACE = uuid.UUID("5f0e3c1e-9a51-4a43-8f0a-3f1de4a0b6c2")


class StageTime(BaseModel):
    stage: int
    name: str
    entered_at: datetime
    exited_at: datetime | None


class ProspectView(BaseModel):
    id: str
    stage: int
    stage_name: str
    points: int
    email: str | None
    name: str | None
    entry_point: EntryPoint | None
    entry_point_history: list[EntryPoint]
    imported: bool
    clicks: int
    created_at: datetime
    last_activity_at: datetime
    merged_ids: list[str]
    stage_periods: list[StageTime]
    seconds_in_stage: dict[int, float] = Field(description="cumulative, per stage, as of now")


class Timeline(BaseModel):
    prospect_id: str = Field(description="the prospect now (the survivor, after a merge)")
    points: int
    entries: list[dict[str, Any]] = Field(description="the prospect's events, each with `kind`")


class RejectedRow(BaseModel):
    line: int
    errors: list[FieldError]


class ImportReport(BaseModel):
    rows: int
    rejected: list[RejectedRow] = Field(description="always empty: an import is whole or none")
    import_id: str
    imported: int
    skipped_known: list[str] = Field(description="ids of prospects the journey already knew")


class ImportRefusedReport(BaseModel):
    detail: str
    rows: int
    rejected: list[RejectedRow]
    imported: int = Field(description="always 0")


CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "UTF-8 CSV with a header row: email, name, stage, points, id",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such prospect"}}


class Commands(Protocol):
    """What the API asks of the journey service (implemented by handlers.Journey)."""

    async def move(self, move: MoveStage, fingerprint: str | None = None) -> Prospect: ...

    async def import_prospects(self, rows: Sequence[Event]) -> list[str]: ...


class MoveRequest(BaseModel):
    stage: int = Field(ge=FIRST_STAGE, le=LAST_STAGE)
    reason: str = Field(min_length=1, max_length=1000)


def router(engine: AsyncEngine, journey: Commands, rules: Rules) -> APIRouter:
    api = APIRouter(tags=["journey"])

    async def view(prospect_id: str) -> ProspectView:
        async with engine.connect() as conn:
            pid = (await store.resolve(conn, [prospect_id])).get(prospect_id, prospect_id)
            found = (await store.load(conn, [pid])).get(pid)
            merged = await store.merged_ids(conn, pid) if found else []
        if found is None:
            raise HTTPException(404, detail=f"no prospect with id {prospect_id!r}")
        return render(found, merged, rules, datetime.now(UTC))

    @api.get("/v1/prospects/{prospect_id}", response_model=ProspectView, responses=NOT_FOUND)
    async def get_prospect(prospect_id: str, _who: ConsultantSession) -> ProspectView:
        return await view(prospect_id)

    @api.get("/v1/prospects/{prospect_id}/timeline", response_model=Timeline, responses=NOT_FOUND)
    async def get_timeline(prospect_id: str, _who: ConsultantSession) -> dict[str, Any]:
        prospect = await view(prospect_id)
        async with engine.connect() as conn:
            events = await store.timeline(conn, prospect.id)
        entries = [{"kind": e.type.rsplit(".v", 1)[0], **e.model_dump(mode="json")} for e in events]
        return {"prospect_id": prospect.id, "points": prospect.points, "entries": entries}

    @api.post(
        "/v1/prospects/{prospect_id}/stage",
        response_model=ProspectView,
        responses={
            **NOT_FOUND,
            409: {
                "description": "the move is not allowed (e.g. already in that stage), or the "
                "Idempotency-Key was already used with a different body"
            },
        },
    )
    async def move_stage(
        prospect_id: str,
        body: MoveRequest,
        who: ConsultantSession,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> ProspectView:
        """Move a prospect to any stage, with a reason; recorded as an event attributed to the
        consultant. Retrying with the same Idempotency-Key applies the move once; reusing the key
        for another move (stage, reason or prospect) is a 409."""
        command_id = (
            uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{who.email}:{idempotency_key}")
            if idempotency_key
            else uuid.uuid4()
        )
        move = MoveStage(
            command_id, prospect_id, body.stage, body.reason, who.email, datetime.now(UTC)
        )
        asked = {"prospect_id": prospect_id, "stage": body.stage, "reason": body.reason}
        try:
            await journey.move(move, fingerprint(asked) if idempotency_key else None)
        except KeyReused as exc:
            raise HTTPException(
                409,
                detail=f"Idempotency-Key {idempotency_key!r} was already used with a different "
                "body (stage, reason or prospect)",
            ) from exc
        except Refused as exc:
            code = 404 if str(exc).startswith("no prospect") else 409
            raise HTTPException(code, detail=str(exc)) from exc
        return await view(prospect_id)

    @api.post(
        "/v1/prospects/import",
        response_model=ImportReport,
        responses={
            400: {"description": "the file is not UTF-8 text"},
            422: {"model": ImportRefusedReport, "description": "nothing imported: rows rejected"},
        },
        openapi_extra=CSV_BODY,
    )
    async def import_prospects(request: Request, _who: AdminSession) -> JSONResponse:
        """Import contacts that predate go-live from CSV (columns email, name, stage, points,
        id). Every row is checked; if any is rejected nothing is imported."""
        # At most MAX_IMPORT_BYTES: `assemble`'s BodyLimit stops a larger file while it streams.
        raw = await request.body()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"detail": "the file is not UTF-8 text"}, 400)
        try:
            done = await import_contacts(journey, text)
        except ImportRefused as refused:
            return JSONResponse(refused.report(), 422)
        return JSONResponse(done.report(), 200)

    return api


def render(p: Prospect, merged: list[str], rules: Rules, now: datetime) -> ProspectView:
    seconds: dict[int, float] = {}
    for period in p.periods:
        end = period.exited_at or max(now, period.entered_at)
        seconds[period.stage] = (
            seconds.get(period.stage, 0.0) + (end - period.entered_at).total_seconds()
        )
    return ProspectView(
        id=p.id,
        stage=p.stage,
        stage_name=rules.name(p.stage),
        points=p.points,
        email=p.email,
        name=p.name,
        entry_point=p.entry_point,
        entry_point_history=list(p.entry_point_history),
        imported=p.imported,
        clicks=p.clicks,
        created_at=p.created_at,
        last_activity_at=p.last_activity_at,
        merged_ids=merged,
        stage_periods=[
            StageTime(
                stage=x.stage,
                name=rules.name(x.stage),
                entered_at=x.entered_at,
                exited_at=x.exited_at,
            )
            for x in p.periods
        ],
        seconds_in_stage=seconds,
    )
