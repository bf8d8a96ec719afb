"""An alert's state, a prospect's contact context, and how events change them. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from schemas.alerts import (
    AlertAcknowledgedV1,
    AlertActionedV1,
    AlertEscalatedV1,
    AlertExpiredV1,
    AlertRaisedV1,
    AlertRepeatedV1,
    AlertResolvedV1,
    Priority,
    SalesAlertRaisedV1,
)
from schemas.envelope import Event
from schemas.journey import (
    EntryPointCapturedV1,
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectEmailLinkedV1,
    ProspectsMergedV1,
)
from schemas.values import EntryPoint, RecentClick

Kind = Literal["skip", "sales"]
Status = Literal["pending", "acknowledged", "actioned", "resolved", "expired"]
STATUSES: tuple[Status, ...] = ("pending", "acknowledged", "actioned", "resolved", "expired")
OPEN: tuple[Status, ...] = ("pending", "acknowledged")
PRIORITIES: tuple[Priority, ...] = ("HIGH", "URGENT")
EXPIRES_AFTER = timedelta(days=7)
RECENT_CLICKS = 5


@dataclass(frozen=True)
class Alert:
    id: uuid.UUID
    subject_id: str
    prospect_id: str
    status: Status
    priority: Priority
    current_stage: int
    target_stage: int
    gap: int
    recommended_action: str
    raised_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    urgent_since: datetime | None = None
    correlation_id: uuid.UUID | None = None
    email: str | None = None
    entry_point: EntryPoint | None = None
    recent_clicks: tuple[RecentClick, ...] = ()
    count: int = 1
    unanswered_escalated: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    actioned_by: str | None = None
    actioned_at: datetime | None = None
    note: str | None = None
    expired_at: datetime | None = None
    clicked_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolved_stage: int | None = None
    resolved_note: str | None = None
    # A sales request has no stages: its stage fields stay 0 and these say what was asked.
    kind: Kind = "skip"
    name: str | None = None
    message: str | None = None
    required_tier: str | None = None
    current_tier: str | None = None
    cta_id: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Contact:
    """What alerts keep of a prospect from the journey's events: enough to reach them."""

    id: str
    email: str | None = None
    entry_point: EntryPoint | None = None
    recent_clicks: tuple[RecentClick, ...] = ()
    merged_into: str | None = None


def evolve(alert: Alert | None, event: Event) -> Alert | None:
    """The alert after one of its own events."""
    if isinstance(event, AlertRaisedV1):
        return alert or _raised(event)
    if isinstance(event, SalesAlertRaisedV1):
        return alert or _sales_raised(event)
    if alert is None or getattr(event, "alert_id", None) != alert.id:
        return alert
    at = event.occurred_at
    if isinstance(event, AlertRepeatedV1):
        return replace(
            alert,
            count=event.count,
            last_seen_at=max(alert.last_seen_at, at),
            recent_clicks=event.recent_clicks or alert.recent_clicks,
        )
    if isinstance(event, AlertEscalatedV1):
        became_urgent = event.priority == "URGENT" and alert.priority != "URGENT"
        return replace(
            alert,
            priority=event.priority,
            target_stage=event.target_stage,
            gap=event.gap,
            current_stage=event.target_stage - event.gap,
            recommended_action=event.recommended_action or alert.recommended_action,
            urgent_since=at if became_urgent else alert.urgent_since,
            unanswered_escalated=alert.unanswered_escalated or event.reason == "unanswered",
            recent_clicks=event.recent_clicks or alert.recent_clicks,
            last_seen_at=max(alert.last_seen_at, at)
            if event.reason == "higher_target"
            else alert.last_seen_at,
        )
    if isinstance(event, AlertAcknowledgedV1):
        return replace(alert, status="acknowledged", acknowledged_by=event.by, acknowledged_at=at)
    if isinstance(event, AlertActionedV1):
        return replace(
            alert, status="actioned", actioned_by=event.by, actioned_at=at, note=event.note
        )
    if isinstance(event, AlertResolvedV1):
        return replace(
            alert,
            status="resolved",
            resolved_by=event.by,
            resolved_at=at,
            resolved_stage=event.stage,
            resolved_note=event.note,
        )
    if isinstance(event, AlertExpiredV1):
        return replace(alert, status="expired", expired_at=at)
    return alert


def fold(alert: Alert | None, events: list[Event]) -> Alert | None:
    for event in events:
        alert = evolve(alert, event)
    return alert


def _opened(event: AlertRaisedV1 | SalesAlertRaisedV1) -> dict[str, Any]:
    """What any raised alert starts with, whatever its kind."""
    at = event.occurred_at
    return {
        "id": event.alert_id,
        "subject_id": event.subject_id,
        "prospect_id": event.subject_id,
        "status": "pending",
        "priority": event.priority,
        "recommended_action": event.recommended_action,
        "raised_at": at,
        "expires_at": event.expires_at,
        "last_seen_at": at,
        "urgent_since": at if event.priority == "URGENT" else None,
        "correlation_id": event.correlation_id or event.event_id,
        "email": event.email,
    }


def _raised(event: AlertRaisedV1) -> Alert:
    return Alert(
        **_opened(event),
        current_stage=event.current_stage,
        target_stage=event.target_stage,
        gap=event.gap,
        entry_point=event.entry_point,
        recent_clicks=event.recent_clicks,
        clicked_at=event.clicked_at,
    )


def _sales_raised(event: SalesAlertRaisedV1) -> Alert:
    return Alert(
        **_opened(event),
        current_stage=0,
        target_stage=0,
        gap=0,
        kind="sales",
        name=event.name,
        message=event.message,
        required_tier=event.required_tier,
        current_tier=event.current_tier,
        cta_id=event.cta_id,
    )


def note(contact: Contact, event: Event) -> Contact:
    """The contact context after one of the journey's events about the prospect."""
    if isinstance(event, ProspectCreatedV1):
        return replace(contact, email=event.email or contact.email)
    if isinstance(event, ProspectEmailLinkedV1 | ProspectsMergedV1):
        return replace(contact, email=event.email)
    if isinstance(event, EntryPointCapturedV1):
        # The journey's rule: the latest capture (an inquiry replaces a first click's).
        return replace(contact, entry_point=event.entry_point)
    if isinstance(event, PointsAwardedV1):
        click = RecentClick(
            event_id=str(event.click_event_id),
            cta_id=event.cta.id,
            cta_label=event.cta.label,
            cta_stage=event.cta.stage,
            occurred_at=event.occurred_at,
        )
        return replace(contact, recent_clicks=latest((click, *contact.recent_clicks)))
    return contact


def absorb(survivor: Contact, merged: Contact | None, merge: ProspectsMergedV1) -> Contact:
    """The survivor of a merge takes the merged prospect's clicks, and its entry point if it
    has none of its own."""
    survivor = note(survivor, merge)
    if merged is None:
        return survivor
    return replace(
        survivor,
        entry_point=survivor.entry_point or merged.entry_point,
        recent_clicks=latest((*survivor.recent_clicks, *merged.recent_clicks)),
    )


def latest(clicks: tuple[RecentClick, ...]) -> tuple[RecentClick, ...]:
    """The last RECENT_CLICKS distinct clicks, newest first."""
    unique: dict[str, RecentClick] = {}
    for click in clicks:
        unique.setdefault(click.event_id, click)
    newest = sorted(unique.values(), key=lambda c: c.occurred_at, reverse=True)
    return tuple(newest[:RECENT_CLICKS])
