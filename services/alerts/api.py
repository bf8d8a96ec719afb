from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alerts import Priority
from schemas.values import EntryPoint, RecentClick
from services.alerts import store
from services.alerts.domain import NotFound, Refused
from services.alerts.state import PRIORITIES, Alert, Kind, Status
from services.common.auth import ConsultantSession

# A UUID convertor, so that other paths under /v1/alerts/ (the live stream) are not taken for
# ids; anything that is not a UUID is no alert's id: 404.
ONE = "/v1/alerts/{alert_id:uuid}"
NOTE_MAX = 2000


class Commands(Protocol):
    """What the API asks of the alerts service (implemented by handlers.Alerts)."""

    async def acknowledge(self, alert_id: uuid.UUID, by: str, at: datetime) -> Alert: ...

    async def action(
        self, alert_id: uuid.UUID, by: str, at: datetime, note: str | None = None
    ) -> Alert: ...


class AlertView(BaseModel):
    id: uuid.UUID
    prospect_id: str = Field(description="the prospect now (the survivor, after a merge)")
    raised_for: str = Field(description="the visitor id the skip or the request came from")
    kind: Kind = Field(description="`skip` (a stage skip) or `sales` (a request to talk to sales)")
    status: Status
    priority: Priority
    email: str | None
    entry_point: EntryPoint | None
    current_stage: int | None = Field(description="null on a sales request")
    target_stage: int | None = Field(description="null on a sales request")
    gap: int | None = Field(description="null on a sales request")
    recent_clicks: list[RecentClick] = Field(description="newest first, at most 5")
    recommended_action: str
    count: int = Field(description="skips recorded on this alert")
    raised_at: datetime
    last_seen_at: datetime
    expires_at: datetime = Field(description="when it expires if nobody acknowledges it")
    escalated_unanswered: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    actioned_by: str | None
    actioned_at: datetime | None
    note: str | None = Field(description="what the consultant wrote when marking it actioned")
    expired_at: datetime | None
    clicked_at: datetime | None = Field(
        description="when the click that raised it happened (null on alerts raised before this "
        "was recorded); `raised_at` is when the alert was raised"
    )
    resolved_by: str | None = Field(description="the consultant whose manual move resolved it")
    resolved_at: datetime | None
    resolved_stage: int | None = Field(description="the stage the prospect was moved to")
    resolved_note: str | None = Field(description="the reason given for the move")
    name: str | None = Field(default=None, description="sales request: who asked")
    message: str | None = Field(default=None, description="sales request: what they wrote")
    required_tier: str | None = Field(default=None, description="sales request: tier wanted")
    current_tier: str | None = Field(default=None, description="sales request: tier they had")
    cta_id: str | None = Field(default=None, description="sales request: the CTA they clicked")


class AlertPage(BaseModel):
    alerts: list[AlertView]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class AlertDetail(AlertView):
    history: list[dict[str, Any]] = Field(description="the alert's events, oldest first")


class ActionRequest(BaseModel):
    """The optional body of `POST /v1/alerts/{id}/action`; unknown fields are refused, so a
    misspelt `note` is a 422 rather than a note silently lost."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)] | None = (
        Field(default=None, description="what was done; blank is no note")
    )


def router(engine: AsyncEngine, alerts: Commands) -> APIRouter:
    api = APIRouter(tags=["alerts"])

    @api.get("/v1/alerts", response_model=AlertPage)
    async def list_alerts(
        _who: ConsultantSession,
        status: Status | None = None,
        priority: Priority | None = None,
        prospect_id: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> AlertPage:
        """Alerts of every status unless filtered, in the order consultants work them: URGENT
        before HIGH, and within each priority the newest raised first (ties by id, descending).
        `limit` a page; `next_cursor` continues in the same order."""
        after = _decode(cursor) if cursor else None
        async with engine.connect() as conn:
            found = await store.page(
                conn,
                status=status,
                priority=priority,
                prospect_id=prospect_id,
                after=after,
                limit=limit + 1,
            )
        more = len(found) > limit
        found = found[:limit]
        return AlertPage(
            alerts=[view(a) for a in found],
            next_cursor=_encode(found[-1]) if more else None,
        )

    @api.get(ONE, response_model=AlertDetail, responses={404: {}})
    async def get_alert(alert_id: uuid.UUID, _who: ConsultantSession) -> AlertDetail:
        async with engine.connect() as conn:
            found = await store.alert(conn, alert_id)
            if found is None:
                raise HTTPException(404, detail=f"no alert with id {alert_id}")
            events = await store.history(conn, found)
        history = [{"kind": e.type.rsplit(".v", 1)[0], **e.model_dump(mode="json")} for e in events]
        return AlertDetail(**view(found).model_dump(), history=history)

    @api.post(f"{ONE}/acknowledge", response_model=AlertView, responses={404: {}, 409: {}})
    async def acknowledge(alert_id: uuid.UUID, who: ConsultantSession) -> AlertView:
        """pending → acknowledged, recorded with who and when."""
        return view(await _command(alerts.acknowledge(alert_id, who.email, datetime.now(UTC))))

    @api.post(f"{ONE}/action", response_model=AlertView, responses={404: {}, 409: {}})
    async def action(
        alert_id: uuid.UUID, who: ConsultantSession, body: ActionRequest | None = None
    ) -> AlertView:
        """pending or acknowledged → actioned (archived). The body is optional: `{"note": "..."}`
        (at most 2,000 characters) is kept on the actioned event and in the alert's history."""
        note = (body.note or None) if body else None
        return view(await _command(alerts.action(alert_id, who.email, datetime.now(UTC), note)))

    return api


async def _command(pending: Any) -> Alert:
    try:
        done: Alert = await pending
    except NotFound as exc:
        raise HTTPException(404, detail=str(exc)) from exc
    except Refused as exc:
        raise HTTPException(409, detail=str(exc)) from exc
    return done


def view(a: Alert) -> AlertView:
    skip = a.kind == "skip"
    return AlertView(
        id=a.id,
        prospect_id=a.prospect_id,
        raised_for=a.subject_id,
        kind=a.kind,
        status=a.status,
        priority=a.priority,
        email=a.email,
        entry_point=a.entry_point,
        current_stage=a.current_stage if skip else None,
        target_stage=a.target_stage if skip else None,
        gap=a.gap if skip else None,
        recent_clicks=list(a.recent_clicks),
        recommended_action=a.recommended_action,
        count=a.count,
        raised_at=a.raised_at,
        last_seen_at=a.last_seen_at,
        expires_at=a.expires_at,
        escalated_unanswered=a.unanswered_escalated,
        acknowledged_by=a.acknowledged_by,
        acknowledged_at=a.acknowledged_at,
        actioned_by=a.actioned_by,
        actioned_at=a.actioned_at,
        note=a.note,
        expired_at=a.expired_at,
        clicked_at=a.clicked_at,
        resolved_by=a.resolved_by,
        resolved_at=a.resolved_at,
        resolved_stage=a.resolved_stage,
        resolved_note=a.resolved_note,
        name=a.name,
        message=a.message,
        required_tier=a.required_tier,
        current_tier=a.current_tier,
        cta_id=a.cta_id,
    )


def _encode(last: Alert) -> str:
    priority, at, last_id = store.position(last)
    raw = f"{priority}|{at.isoformat()}|{last_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> store.Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        priority, at, last_id = raw.split("|")
        if priority not in PRIORITIES:
            raise ValueError("a cursor names a priority")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("a cursor's time carries its zone")
        return priority, when.astimezone(UTC), str(uuid.UUID(last_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "not a cursor this API returned",
                    "type": "value_error",
                }
            ]
        ) from exc
