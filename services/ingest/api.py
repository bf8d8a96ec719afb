from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.catalogue import field_errors
from schemas.envelope import Event
from schemas.export import producer_json_schema
from schemas.producer import SENT_EVENT, VALID_BATCH, SentIdentify, SentInquiry
from schemas.producer import SentCtaClick as SentClick
from services.common.idempotency import fingerprint
from services.common.limits import KeyLimits
from services.common.openapi import FieldError, json_body
from services.ingest import metrics, store
from services.ingest.publisher import BoundedPublisher, Stalled, Unavailable
from services.ingest.tracker import ProducerKeyOf

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
    403: {
        "description": "a producer key in the query string from a page outside the "
        "website origins (CRM_INGEST_CORS_ORIGINS)"
    },
    409: {
        "model": NoValidEvent,
        "description": "an `event_id` was already used with a different body",
    },
    429: {
        "description": "the producer key posted more events than its rate limit; "
        "nothing was published, retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    503: {
        "description": "the event log is unavailable; retry after `Retry-After` seconds. When "
        "it did not take the events in time (they may still arrive), `event_ids` lists the ids "
        "to retry with",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


STALLED = (
    "the event log did not take the events in time; they may still arrive: retry with these "
    "event ids (`event_ids`, in the order sent), which are counted once"
)
RETRY = {"Retry-After": "5"}


def router(
    publisher: BoundedPublisher,
    engine: AsyncEngine,
    limits: KeyLimits,
    website_origins: Sequence[str],
) -> APIRouter:
    api = APIRouter(tags=["ingest"])
    key_of = ProducerKeyOf(website_origins)
    body = json_body(producer_json_schema(), 'one event, or `{"events": [...]}`')

    @api.post("/v1/events", status_code=202, responses=ANSWERS, openapi_extra=body)
    async def accept_events(request: Request, key: str = Depends(key_of)) -> Response:
        """Accept one event or `{"events": [...]}`. Valid items are published; invalid items get
        per-item errors naming the field and the reason. 202 when at least one was accepted.
        A client `event_id` sent again with the same body is accepted (and published) again;
        with another body it is refused. The body is read as JSON whatever its Content-Type
        (the tracker's beacons send `text/plain`, which needs no CORS preflight)."""
        # The body is at most MAX_BODY_BYTES: `assemble`'s BodyLimit stops it while it streams.
        raw = await request.body()
        valid = _every_event_valid(raw)
        if valid is not None:
            single, items = False, valid
        else:
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
        if refused := _over_limit(limits, key, len(items)):
            return refused

        received_at = datetime.now(UTC)
        accepted: list[tuple[int, Event]] = []
        rejected: list[dict[str, Any]] = []
        prints: dict[str, str] = {}
        bodies: dict[str, Sent] = {}
        for index, item in enumerate(items):
            try:
                sent = item if valid is not None else SENT_EVENT.validate_python(item)
                event = sent.to_event(received_at)
            except ValidationError as exc:
                rejected.append({"index": index, "errors": field_errors(exc)})
                continue
            except ValueError as exc:
                rejected.append(
                    {"index": index, "errors": [{"field": "occurred_at", "message": str(exc)}]}
                )
                continue
            if sent.event_id is not None:
                # Within a batch, the first body sent under an id is the one it is bound to.
                body_print = _fingerprint(sent)
                if prints.setdefault(str(sent.event_id), body_print) != body_print:
                    rejected.append(_reused(index, event))
                    continue
                bodies.setdefault(str(sent.event_id), sent)
            accepted.append((index, event))
        try:
            taken = await store.reused(
                engine,
                prints,
                received_at,
                lambda i: fingerprint(bodies[i].model_dump(mode="json")),
            )
        except Exception as exc:
            log.error("checking %d event id(s) failed: %r", len(prints), exc)
            return _error(
                503, "the event id store is unavailable; retry with the same event ids", retry=True
            )
        if taken:
            rejected += [_reused(i, e) for i, e in accepted if str(e.event_id) in taken]
            accepted = [(i, e) for i, e in accepted if str(e.event_id) not in taken]
        rejected.sort(key=lambda r: int(r["index"]))
        metrics.REJECTED.inc(len(rejected))
        if not accepted:
            return _none_accepted(rejected, single=single)

        try:
            await publisher.publish([event for _, event in accepted])
        except Stalled:
            sent_ids = [str(e.event_id) for _, e in accepted]
            return JSONResponse(
                {"detail": STALLED, "event_ids": sent_ids}, status_code=503, headers=RETRY
            )
        except Unavailable:
            return _error(503, "the event log is unavailable; retry later", retry=True)
        except Exception as exc:
            log.error("publishing %d event(s) failed: %r", len(accepted), exc)
            return _error(
                503, "the event log is unavailable; retry with the same event ids", retry=True
            )
        metrics.count_accepted(e for _, e in accepted)
        if single:
            return JSONResponse({"event_id": str(accepted[0][1].event_id)}, status_code=202)
        ids = [{"index": i, "event_id": str(e.event_id)} for i, e in accepted]
        return _json(202, {"accepted": ids, "rejected": rejected})

    return api


Sent = SentClick | SentInquiry | SentIdentify


def _every_event_valid(raw: bytes) -> list[Sent] | None:
    """The events of a `{"events": [...]}` body validated straight from its bytes in one call,
    or None if anything in it is not (the item by item path then says what, or takes a single
    event): a third less CPU per event on the common path."""
    try:
        return VALID_BATCH.validate_json(raw).events
    except (ValueError, RecursionError):  # a ValidationError is a ValueError
        return None


def _fingerprint(sent: Sent) -> str:
    """sha256 of the validated event's JSON (its fields in the model's order): one body however
    its keys were ordered or spaced. Until 2026-12 it hashed `fingerprint(model_dump(...))`,
    three times slower; ids bound then are still compared that way (`store.reused`'s
    `earlier`), for the 30 days the fingerprints are kept."""
    return hashlib.sha256(sent.__pydantic_serializer__.to_json(sent)).hexdigest()


def _json(code: int, content: object) -> Response:
    """A JSON answer encoded by pydantic-core: for a batch's id list, a few times faster than
    the standard library's encoder that JSONResponse uses."""
    return Response(to_json(content), status_code=code, media_type="application/json")


def _over_limit(limits: KeyLimits, key: str, events: int) -> JSONResponse | None:
    """The answer refusing the whole request if the key may not post `events` now."""
    if not limits.fits(events):
        return _error(
            413,
            f"a batch of {events} events is more than a producer key may post at once "
            f"({limits.burst}, CRM_INGEST_KEY_BURST); send smaller batches",
        )
    wait = limits.take(key, events)
    if not wait:
        return None
    metrics.THROTTLED.inc(events)
    detail = (
        f"this producer key is over its rate limit of {limits.rate:g} events a second "
        f"(bursts of {limits.burst}); nothing was accepted, retry after {wait} s"
    )
    return JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(wait)})


def _reused(index: int, event: Event) -> dict[str, Any]:
    message = f"{event.event_id} was already used with a different body"
    return {"index": index, "errors": [{"field": "event_id", "message": message}]}


def _none_accepted(rejected: list[dict[str, Any]], *, single: bool) -> JSONResponse:
    """409 when every item was refused for a reused id, else 422."""
    reuse = all(
        e["field"] == "event_id" and "already used" in e["message"]
        for r in rejected
        for e in r["errors"]
    )
    if single and reuse:
        detail = f"event_id {rejected[0]['errors'][0]['message']}"
        return JSONResponse({"detail": detail}, status_code=409)
    errors = rejected[0]["errors"] if single else rejected
    key = "errors" if single else "rejected"
    return JSONResponse(
        {"detail": "no valid event", key: errors}, status_code=409 if reuse else 422
    )


def _error(code: int, detail: str, *, retry: bool = False) -> JSONResponse:
    headers = RETRY if retry else None
    return JSONResponse({"detail": detail}, status_code=code, headers=headers)
