from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, StringConstraints

from schemas.content import GatedContentSubmittedV1
from schemas.envelope import Email
from services.common.auth import ConsultantSession, ProducerKey
from services.common.idempotency import KeyReused, fingerprint
from services.content.domain import Playbook
from services.content.handlers import SetMetadata, Shown
from services.content.submissions import NotShown, Submit

PlaybookId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=180,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="letters, digits and . _ : - (a slug)",
    ),
]
# Printable, no surrounding space: it becomes the events' key and `subject_id`.
PRINTABLE = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
VisitorId = Annotated[
    str, Query(min_length=1, max_length=200, pattern=PRINTABLE, description="the prospect id")
]


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tagline = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Tone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1500)]

_SESSION: dict[int | str, dict[str, Any]] = {
    401: {"description": "no consultant session, or it has ended"},
    503: {"description": "sessions cannot be checked right now"},
}
_CHANGE = {**_SESSION, 403: {"description": "a cookie-authenticated change not sent as JSON"}}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"description": "invalid input, per field"}}
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "no such playbook"}}
IDEMPOTENCY_NAMESPACE = uuid.UUID("8d1c2f3a-5b6e-4c7d-9e0f-1a2b3c4d5e6f")


class Commands(Protocol):
    """What the API asks of the content service (implemented by handlers.Content)."""

    async def set_metadata(self, command: SetMetadata) -> Playbook: ...
    async def playbooks(self) -> list[Playbook]: ...
    async def playbook(self, playbook_id: str) -> Playbook | None: ...
    async def forget_copy(self, playbook_id: str) -> bool: ...
    async def gate(self, playbook_id: str, visitor_id: str) -> Shown | None: ...


class Submitting(Protocol):
    async def submit(self, command: Submit) -> GatedContentSubmittedV1 | None: ...


class FallbackCopy(BaseModel):
    header: Title
    paragraphs: list[Paragraph] = Field(min_length=1, max_length=3)


class PlaybookMetadata(BaseModel):
    title: Title
    tagline: Tagline
    domain_tags: list[Tag] = Field(min_length=1, max_length=10)
    tone: Tone
    body: str = Field(default="", max_length=100_000, description="the playbook's own text")
    fallback: FallbackCopy | None = Field(
        default=None, description="static copy shown when generation fails"
    )


class PlaybookView(PlaybookMetadata):
    id: str
    updated_at: datetime
    updated_by: str


class PlaybookList(BaseModel):
    playbooks: list[PlaybookView]


class QuoteView(BaseModel):
    text: str
    author: str


class GateView(BaseModel):
    playbook_id: str
    variation_id: str
    header: str
    paragraphs: list[str]
    quote: QuoteView | None
    fallback: bool = Field(description="true when this is the static fallback copy")


FieldName = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=PRINTABLE)]
FieldValue = Annotated[str, StringConstraints(max_length=1000)]


class GateSubmission(BaseModel):
    email: Email
    visitor_id: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    variation_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        description="the variation shown (the gate's answer); else the latest shown",
    )
    page: str | None = Field(default=None, max_length=2000, pattern=PRINTABLE)
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=20)


class Submitted(BaseModel):
    submission_id: str
    variation_id: str
    seconds_to_submit: float | None


def _view(playbook: Playbook) -> PlaybookView:
    fallback = (
        FallbackCopy(header=playbook.fallback_header, paragraphs=list(playbook.fallback_paragraphs))
        if playbook.fallback_header and playbook.fallback_paragraphs
        else None
    )
    return PlaybookView(
        id=playbook.id,
        title=playbook.title,
        tagline=playbook.tagline,
        domain_tags=list(playbook.domain_tags),
        tone=playbook.tone,
        body=playbook.body,
        fallback=fallback,
        updated_at=playbook.updated_at,
        updated_by=playbook.updated_by,
    )


def router(content: Commands, submissions: Submitting) -> APIRouter:
    api = APIRouter(tags=["content"])

    @api.put("/v1/playbooks/{playbook_id}", responses={**_CHANGE, **_INVALID})
    async def set_playbook_metadata(
        playbook_id: PlaybookId, body: PlaybookMetadata, who: ConsultantSession
    ) -> PlaybookView:
        """Set a gated playbook's metadata (all of it: the newest holds), recorded as
        `playbook.metadata_set.v1` on `crm.content`. Cached copy of older metadata is not
        served again."""
        fallback = body.fallback
        playbook = await content.set_metadata(
            SetMetadata(
                playbook_id=playbook_id,
                title=body.title,
                tagline=body.tagline,
                domain_tags=tuple(body.domain_tags),
                tone=body.tone,
                body=body.body,
                fallback_header=fallback.header if fallback else "",
                fallback_paragraphs=tuple(fallback.paragraphs) if fallback else (),
                author=who.email,
            )
        )
        return _view(playbook)

    @api.get("/v1/playbooks", responses=_SESSION)
    async def list_playbooks(_: ConsultantSession) -> PlaybookList:
        return PlaybookList(playbooks=[_view(p) for p in await content.playbooks()])

    @api.get("/v1/playbooks/{playbook_id}", responses={**_SESSION, **_UNKNOWN, **_INVALID})
    async def get_playbook(playbook_id: PlaybookId, _: ConsultantSession) -> PlaybookView:
        playbook = await content.playbook(playbook_id)
        if playbook is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no playbook {playbook_id!r}")
        return _view(playbook)

    @api.delete(
        "/v1/playbooks/{playbook_id}/gate-cache",
        status_code=status.HTTP_204_NO_CONTENT,
        responses={**_CHANGE, **_UNKNOWN, **_INVALID},
    )
    async def forget_gate_copy(playbook_id: PlaybookId, _: ConsultantSession) -> Response:
        """Drop the playbook's cached copy: the next gate request generates new copy."""
        if not await content.forget_copy(playbook_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no playbook {playbook_id!r}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get(
        "/v1/playbooks/{playbook_id}/gate",
        responses={
            401: {"description": "no producer key, or not a valid one"},
            **_UNKNOWN,
            **_INVALID,
        },
    )
    async def show_gate(playbook_id: PlaybookId, visitor_id: VisitorId, _: ProducerKey) -> GateView:
        """The copy above a gated playbook's form, for a website (producer key). Generated copy
        while fresh; when generation fails or takes longer than the budget, the playbook's
        fallback copy (`fallback: true`), never an error. Records `gated_content.viewed.v1`."""
        shown = await content.gate(playbook_id, visitor_id)
        if shown is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no playbook {playbook_id!r}")
        quote = shown.copy.quote
        return GateView(
            playbook_id=playbook_id,
            variation_id=shown.variation_id,
            header=shown.copy.header,
            paragraphs=list(shown.copy.paragraphs),
            quote=QuoteView(text=quote.text, author=quote.author) if quote else None,
            fallback=shown.fallback,
        )

    @api.post(
        "/v1/playbooks/{playbook_id}/gate/submit",
        status_code=status.HTTP_202_ACCEPTED,
        responses={
            401: {"description": "no producer key, or not a valid one"},
            **_UNKNOWN,
            409: {"description": "the Idempotency-Key was already used with a different body"},
            **_INVALID,
        },
    )
    async def submit_gate(
        playbook_id: PlaybookId,
        body: GateSubmission,
        _: ProducerKey,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Submitted:
        """A visitor submitted the gate's form: recorded as `gated_content.submitted.v1` (with
        the seconds since they were first shown that variation) and as an
        `inquiry.submitted.v1` (form `gate:<playbook id>`), which makes the journey capture the
        form as the prospect's entry point. A visitor never shown the gate is a 422. Sent again
        with the same Idempotency-Key (the widget sends one per form), it is recorded once; the
        key with another body is a 409."""
        keyed = f"{playbook_id}:{body.visitor_id}:{idempotency_key}"
        command = Submit(
            command_id=uuid.uuid5(IDEMPOTENCY_NAMESPACE, keyed) if idempotency_key else None,
            fingerprint=fingerprint({"playbook": playbook_id, **body.model_dump(mode="json")}),
            playbook_id=playbook_id,
            visitor_id=body.visitor_id,
            email=body.email,
            name=body.name or None,
            variation_id=body.variation_id,
            page=body.page,
            fields=dict(body.fields),
        )
        try:
            submitted = await submissions.submit(command)
        except KeyReused as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"Idempotency-Key {idempotency_key!r} was already used with another body",
            ) from exc
        except NotShown as exc:
            raise RequestValidationError(
                [
                    {
                        "loc": ("body", "visitor_id"),
                        "msg": "this visitor was not shown this playbook's gate"
                        + (" (that variation)" if body.variation_id else ""),
                        "type": "value_error",
                    }
                ]
            ) from exc
        if submitted is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no playbook {playbook_id!r}")
        return Submitted(
            submission_id=str(submitted.event_id),
            variation_id=submitted.variation_id,
            seconds_to_submit=submitted.seconds_to_submit,
        )

    return api
