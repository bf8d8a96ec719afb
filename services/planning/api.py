from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Header, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from schemas.planning import RoadmapNoteRecordedV1
from services.common.auth import ConsultantSession
from services.common.idempotency import KeyReused, fingerprint
from services.planning.domain import Refused, WriteNote

IDEMPOTENCY_NAMESPACE = uuid.UUID("0b5f6d0e-3a8c-4a61-9a55-2f1c8e7d4b93")


class Commands(Protocol):
    """What the API asks of the planning service (implemented by handlers.Planning)."""

    async def record_note(
        self, command: WriteNote, fingerprint: str | None = None
    ) -> RoadmapNoteRecordedV1: ...


class NewRoadmapNote(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class RoadmapNoteView(BaseModel):
    note_id: uuid.UUID
    prospect_id: str
    text: str
    author: str
    recorded_at: datetime


def router(planning: Commands) -> APIRouter:
    api = APIRouter(tags=["planning"])

    @api.post(
        "/v1/prospects/{prospect_id}/roadmap-notes",
        status_code=202,
        responses={
            404: {"description": "the journey knows no such prospect"},
            409: {
                "description": "the Idempotency-Key was already used with a different body "
                "(note text or prospect)"
            },
        },
    )
    async def record_roadmap_note(
        prospect_id: str,
        body: NewRoadmapNote,
        who: ConsultantSession,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> RoadmapNoteView:
        """Record a consultant's roadmap note for a prospect the journey knows. The note is
        published as `roadmap_note.recorded.v1`; it is listed (`GET` on the same path) once the
        projections have read it back. Retrying with the same Idempotency-Key records it once;
        reusing the key for another note (text or prospect) is a 409."""
        text = body.text.strip()
        if not text:
            raise RequestValidationError(
                [{"loc": ("body", "text"), "msg": "the note is empty", "type": "value_error"}]
            )
        command_id = (
            uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{who.email}:{idempotency_key}")
            if idempotency_key
            else uuid.uuid4()
        )
        command = WriteNote(command_id, prospect_id, text, who.email, datetime.now(UTC))
        asked = {"prospect_id": prospect_id, "text": text}
        try:
            note = await planning.record_note(
                command, fingerprint(asked) if idempotency_key else None
            )
        except KeyReused as exc:
            raise HTTPException(
                409,
                detail=f"Idempotency-Key {idempotency_key!r} was already used with a different "
                "body (note text or prospect)",
            ) from exc
        except Refused as exc:
            raise HTTPException(404, str(exc)) from exc
        return RoadmapNoteView(
            note_id=note.note_id,
            prospect_id=note.subject_id,
            text=note.text,
            author=note.author,
            recorded_at=note.occurred_at,
        )

    return api
