"""Segment's HTTP Tracking API (`/v1/batch`, `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/alias`),
so a site instrumented with Segment or RudderStack sends here by changing its host."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from services.common.idempotency import fingerprint
from services.common.limits import KeyLimits
from services.common.openapi import FieldError, json_body
from services.ingest import metrics, store
from services.ingest.publisher import BoundedPublisher, Stalled, Unavailable
from services.ingest.segment_guards import error, over_limit, parsed, refused_key, write_key
from services.ingest.segment_map import EventNames, Invalid, SegmentMessage, Skipped, translate

log = logging.getLogger(__name__)

MAX_CALL_BYTES = 500 * 1024
MAX_EVENT_BYTES = 32 * 1024
SINGLE = ("track", "identify", "page", "alias")
# analytics.js (`@segment/analytics-next`) posts each call to its type's first letter, and a
# batch to `/v1/b`; Segment's API takes both spellings, so does this one (not in OpenAPI twice).
SHORT = {f"/v1/{kind[0]}": kind for kind in SINGLE}
BODY_LIMITS = (
    {"/v1/batch": MAX_CALL_BYTES, "/v1/b": MAX_CALL_BYTES}
    | {f"/v1/{kind}": MAX_EVENT_BYTES for kind in SINGLE}
    | dict.fromkeys(SHORT, MAX_EVENT_BYTES)
)
# Per call, not per event: a retry with a new `sentAt` is still the same message, and so is
# analytics.js's retry, which counts itself in `_metadata.retryCount` (delivery bookkeeping).
UNBOUND = ("sentAt", "writeKey", "_metadata")
NOT_UNICODE = {"field": "(event)", "message": "contains an unpaired surrogate: not Unicode text"}
_SENT_AT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)

RETRY = {"Retry-After": {"schema": {"type": "integer"}}}
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "published, skipped (no event for it) and rejected messages"},
    400: {"description": "not JSON, bad gzip, or no valid message (each one's errors)"},
    401: {
        "description": "the write key (basic-auth user) is not a producer key",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    413: {"description": "over 500 KiB a call (32 KiB for one event), sent or unzipped"},
    429: {"description": "over the producer key's rate limit; retry after", "headers": RETRY},
    503: {"description": "the event log or event id store is unavailable", "headers": RETRY},
}
SECURITY: dict[str, Any] = {"security": [{"writeKey": []}]}


class SegmentRejected(BaseModel):
    index: int = Field(description="the message's place in `batch`, from 0")
    errors: list[FieldError]


class SegmentAnswer(BaseModel):
    success: bool = Field(description="always true on a 200, as Segment's clients expect")
    published: int
    skipped: int = Field(description="valid messages this product has no event for")
    rejected: list[SegmentRejected] = Field(description="invalid messages; nothing published")


def _message_schema(batch: bool) -> dict[str, Any]:
    """Segment's body: `{"batch": [messages]}`, or one message whose `type` the path names."""
    message = SegmentMessage.model_json_schema(by_alias=True)
    defs = message.pop("$defs", {})
    extra = {"sentAt": {"type": "string", "format": "date-time"}, "writeKey": {"type": "string"}}
    if batch:
        items = {"type": "array", "items": {"$ref": "#/$defs/SegmentMessage"}, "minItems": 1}
        defs["SegmentMessage"] = message
        body = {"type": "object", "required": ["batch"], "properties": {"batch": items, **extra}}
        return {**body, "$defs": defs}
    properties = {k: v for k, v in message["properties"].items() if k != "type"}
    return {"type": "object", "properties": {**properties, **extra}, "$defs": defs}


def router(
    publisher: BoundedPublisher, engine: AsyncEngine, limits: KeyLimits, names: EventNames
) -> APIRouter:
    api = APIRouter(tags=["segment"])

    async def receive(request: Request, kind: str | None) -> JSONResponse:
        limit = MAX_CALL_BYTES if kind is None else MAX_EVENT_BYTES
        # A key in the header is checked before the body is read; one in the body, after.
        if "authorization" in request.headers and (refused := refused_key(request, {})):
            return refused
        body = parsed(await request.body(), request.headers.get("content-encoding"), limit)
        if isinstance(body, JSONResponse):
            return body
        if not isinstance(body, dict):
            return error(400, "invalid_request", "the body must be a JSON object")
        if refused := refused_key(request, body):
            return refused
        if kind is None:
            items = body.get("batch")
            if not isinstance(items, list) or not items:
                return error(400, "invalid_request", "`batch` must be a non-empty list")
        else:
            items = [{**body, "type": kind}]
        try:
            batch_sent_at = _SENT_AT.validate_python(body["sentAt"]) if "sentAt" in body else None
        except ValidationError:
            return error(400, "invalid_request", "`sentAt` must be a date-time with a timezone")
        if refused := over_limit(limits, write_key(request, body), len(items)):
            return refused
        received_at = datetime.now(UTC)
        published: list[tuple[int, Event]] = []
        rejected: list[dict[str, Any]] = []
        prints: dict[str, str] = {}
        skipped = 0
        for index, item in enumerate(items):
            kind_label = str(item.get("type")) if isinstance(item, dict) else "invalid"
            try:
                if len(json.dumps(item, separators=(",", ":"))) > MAX_EVENT_BYTES:
                    raise Invalid([{"field": "(event)", "message": "larger than 32 KiB"}])
                sent = translate(
                    item, names=names, batch_sent_at=batch_sent_at, received_at=received_at
                )
                if isinstance(sent, Skipped):
                    skipped += 1
                    metrics.SEGMENT.labels(kind_label, sent.reason).inc()
                    continue
                event = sent.to_event(received_at)
            except Invalid as exc:
                rejected.append({"index": index, "errors": exc.errors})
                continue
            except ValueError as exc:
                rejected.append(
                    {"index": index, "errors": [{"field": "timestamp", "message": str(exc)}]}
                )
                continue
            if sent.event_id is not None:
                assert isinstance(item, dict)
                try:
                    body_print = fingerprint({k: v for k, v in item.items() if k not in UNBOUND})
                except UnicodeEncodeError:
                    rejected.append({"index": index, "errors": [NOT_UNICODE]})
                    continue
                if prints.setdefault(str(sent.event_id), body_print) != body_print:
                    rejected.append(_reused(index))
                    continue
            published.append((index, event))
        try:
            taken = await store.reused(engine, prints, received_at)
        except Exception as exc:
            log.error("checking %d message id(s) failed: %r", len(prints), exc)
            return error(503, "unavailable", "the event id store is unavailable; retry")
        rejected += [_reused(i) for i, e in published if str(e.event_id) in taken]
        published = [(i, e) for i, e in published if str(e.event_id) not in taken]
        rejected.sort(key=lambda r: int(r["index"]))
        metrics.SEGMENT.labels("any", "rejected").inc(len(rejected))
        if not published and not skipped:
            answer = {"success": False, "code": "invalid_request", "message": "no valid message"}
            return JSONResponse({**answer, "detail": answer["message"], "rejected": rejected}, 400)
        if published:
            try:
                await publisher.publish([event for _, event in published])
            except (Stalled, Unavailable):
                # Messages carry their own ids (messageId): the SDKs' retries count once.
                return error(503, "unavailable", "the event log is unavailable; retry")
            except Exception as exc:
                log.error("publishing %d Segment event(s) failed: %r", len(published), exc)
                return error(503, "unavailable", "the event log is unavailable; retry")
        metrics.count_accepted(e for _, e in published)
        for kind, n in Counter(e.type for _, e in published).items():
            metrics.SEGMENT.labels(kind, "published").inc(n)
        counts = {"published": len(published), "skipped": skipped, "rejected": rejected}
        return JSONResponse({"success": True, **counts})

    async def batch(request: Request) -> JSONResponse:
        """Segment's batch call: `{"batch": [messages], "sentAt": ...}`; see docs/decisions.md
        for what each message becomes. 200 whenever a message was published or skipped."""
        return await receive(request, None)

    api.add_api_route(
        "/v1/batch",
        batch,
        methods=["POST"],
        responses={**ANSWERS, 200: {**ANSWERS[200], "model": SegmentAnswer}},
        openapi_extra={**SECURITY, **json_body(_message_schema(True), "Segment's batch")},
    )
    for kind in SINGLE:
        api.add_api_route(
            f"/v1/{kind}",
            _single(receive, kind),
            methods=["POST"],
            responses={**ANSWERS, 200: {**ANSWERS[200], "model": SegmentAnswer}},
            openapi_extra={**SECURITY, **json_body(_message_schema(False), f"one {kind} message")},
            name=f"segment_{kind}",
            summary=f"Segment's {kind} call: one message",
        )
    api.add_api_route("/v1/b", batch, methods=["POST"], include_in_schema=False)
    for path, kind in SHORT.items():
        single = _single(receive, kind)
        api.add_api_route(path, single, methods=["POST"], include_in_schema=False)
    return api


def _single(
    receive: Callable[[Request, str | None], Awaitable[JSONResponse]], kind: str
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def single(request: Request) -> JSONResponse:
        return await receive(request, kind)

    return single


def _reused(index: int) -> dict[str, Any]:
    message = "this messageId was already used with a different message"
    return {"index": index, "errors": [{"field": "messageId", "message": message}]}
