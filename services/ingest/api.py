from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from schemas.catalogue import field_errors
from schemas.envelope import Event
from schemas.export import producer_json_schema
from schemas.producer import SENT_EVENT
from services.common.auth import ProducerKey
from services.common.openapi import FieldError, json_body
from services.common.transport import Transport
from services.ingest import metrics

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_BATCH = 1000


class Accepted(BaseModel):
    event_id: str = Field(description="the event's id: the one sent, else a new one")


class AcceptedItem(Accepted):
    index: int = Field(description="the item's place in `events`, from 0")


class RejectedItem(BaseModel):
    index: int
    errors: list[FieldError]


class BatchAccepted(BaseModel):
    accepted: list[AcceptedItem]
    rejected: list[RejectedItem] = Field(description="published nothing of these")


class NoValidEvent(BaseModel):
    detail: str
    errors: list[FieldError] = Field(default_factory=list, description="one event: why")
    rejected: list[RejectedItem] = Field(default_factory=list, description="a batch: each item")


ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": Accepted | BatchAccepted, "description": "one event, or a batch"},
    400: {"description": "the body is not JSON"},
    413: {"description": f"the body is too large, or a batch has over {MAX_BATCH} events"},
    422: {"model": NoValidEvent, "description": "no event of the body is valid"},
    503: {
        "description": "the event log is unavailable; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def router(transport: Transport) -> APIRouter:
    api = APIRouter(tags=["ingest"])
    body = json_body(producer_json_schema(), 'one event, or `{"events": [...]}`')

    @api.post("/v1/events", status_code=202, responses=ANSWERS, openapi_extra=body)
    async def accept_events(request: Request, _key: ProducerKey) -> JSONResponse:
        """Accept one event or `{"events": [...]}`. Valid items are published; invalid items get
        per-item errors naming the field and the reason. 202 when at least one was accepted."""
        # The body is at most MAX_BODY_BYTES: `assemble`'s BodyLimit stops it while it streams.
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, f"the body is not valid JSON: {exc}")
        except RecursionError:
            return _error(400, "the body nests arrays or objects too deeply to be an event")
        single = not (isinstance(body, dict) and "events" in body and "type" not in body)
        items = [body] if single else body["events"]
        if not isinstance(items, list) or not items:
            return _error(422, "`events` must be a non-empty list")
        if len(items) > MAX_BATCH:
            return _error(413, f"a batch holds at most {MAX_BATCH} events, got {len(items)}")

        received_at = datetime.now(UTC)
        accepted: list[tuple[int, Event]] = []
        rejected: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            try:
                accepted.append((index, SENT_EVENT.validate_python(item).to_event(received_at)))
            except ValidationError as exc:
                rejected.append({"index": index, "errors": field_errors(exc)})
            except ValueError as exc:
                rejected.append(
                    {"index": index, "errors": [{"field": "occurred_at", "message": str(exc)}]}
                )
        metrics.REJECTED.inc(len(rejected))
        if not accepted:
            errors = rejected[0]["errors"] if single else rejected
            key = "errors" if single else "rejected"
            return JSONResponse({"detail": "no valid event", key: errors}, status_code=422)

        try:
            await transport.publish([event for _, event in accepted])
        except Exception as exc:
            log.error("publishing %d event(s) failed: %r", len(accepted), exc)
            return _error(
                503, "the event log is unavailable; retry with the same event ids", retry=True
            )
        for _, event in accepted:
            metrics.ACCEPTED.labels(event.type).inc()
        ids = [{"index": i, "event_id": str(e.event_id)} for i, e in accepted]
        if single:
            return JSONResponse({"event_id": ids[0]["event_id"]}, status_code=202)
        return JSONResponse({"accepted": ids, "rejected": rejected}, status_code=202)

    return api


def _error(code: int, detail: str, *, retry: bool = False) -> JSONResponse:
    headers = {"Retry-After": "5"} if retry else None
    return JSONResponse({"detail": detail}, status_code=code, headers=headers)
