"""Alert rules: a skip raises an alert, repeats and higher targets fold into the open one, a
request to talk to sales raises one of its own, people acknowledge and action them, and a sweep
expires or escalates what nobody answered. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
from schemas.billing import SalesContactRequestedV1
from schemas.envelope import Event
from schemas.journey import ProspectMovedManuallyV1, StageSkippedV1
from services.alerts.state import EXPIRES_AFTER, Alert, Contact

HIGH_ACTION = "Phone follow-up within 24 hours"
URGENT_ACTION = "Call now, and check the entry point and click history for a misfire or bad data"
SALES_ACTION = "Call or email today: they asked to talk to sales"
RANK: dict[Priority, int] = {"HIGH": 1, "URGENT": 2}
Reason = Literal["expired", "archived", "resolved", "already_acknowledged"]


class NotFound(LookupError):
    """No alert has the id a command named."""


class Refused(ValueError):
    """A transition the lifecycle does not allow; the message says why."""

    def __init__(self, reason: Reason, message: str):
        self.reason = reason
        super().__init__(message)


def priority_for(gap: int) -> Priority:
    return "URGENT" if gap >= 4 else "HIGH"


def recommended_action(priority: Priority) -> str:
    return URGENT_ACTION if priority == "URGENT" else HIGH_ACTION


def alert_id_for(skip: StageSkippedV1) -> uuid.UUID:
    return skip.caused("alert")


def decide(
    open_alerts: Sequence[Alert], skip: StageSkippedV1, contact: Contact | None
) -> list[Event]:
    """What a skip does, given the prospect's open alerts: raise one, or record a repeat on the
    open one, or escalate it to the higher target. An open alert whose seven days ran out
    before the skip (by event time) expires first."""
    out: list[Event] = [
        _expired(a)
        for a in open_alerts
        if a.status == "pending" and skip.occurred_at >= a.expires_at
    ]
    gone = {e.alert_id for e in out if isinstance(e, AlertExpiredV1)}
    still_open = [a for a in open_alerts if a.open and a.id not in gone]
    clicks = contact.recent_clicks if contact else ()
    if not still_open:
        return [*out, _raise(skip, contact)]
    # Two open alerts only after a merge joined two prospects: the highest target leads.
    alert = min(still_open, key=lambda a: (-a.target_stage, a.raised_at, str(a.id)))
    head = {**skip.lineage(), "occurred_at": skip.occurred_at, "subject_id": alert.subject_id}
    if skip.target_stage > alert.target_stage:
        priority = max(alert.priority, priority_for(skip.gap), key=RANK.__getitem__)
        escalated = AlertEscalatedV1(
            **head,
            event_id=skip.caused("escalated"),
            alert_id=alert.id,
            priority=priority,
            target_stage=skip.target_stage,
            gap=skip.gap,
            reason="higher_target",
            recommended_action=recommended_action(priority),
            recent_clicks=clicks,
        )
        return [*out, escalated]
    repeated = AlertRepeatedV1(
        **head,
        event_id=skip.caused("repeated"),
        alert_id=alert.id,
        count=alert.count + 1,
        target_stage=skip.target_stage,
        recent_clicks=clicks,
    )
    return [*out, repeated]


def decide_sales(request: SalesContactRequestedV1) -> list[Event]:
    """A request to talk to sales is high intent: it raises a HIGH alert of its own, whatever
    else is open for the prospect. Its ids come from the request's, so reprocessing the request
    yields the same event."""
    return [
        SalesAlertRaisedV1(
            **request.lineage(),
            event_id=request.caused("raised"),
            occurred_at=request.occurred_at,
            subject_id=request.subject_id,
            alert_id=request.caused("alert"),
            priority="HIGH",
            email=request.email,
            name=request.name,
            message=request.message,
            required_tier=request.required_tier,
            current_tier=request.current_tier,
            cta_id=request.cta_id,
            recommended_action=SALES_ACTION,
            expires_at=request.occurred_at + EXPIRES_AFTER,
        )
    ]


def decide_acknowledge(alert: Alert, by: str, at: datetime) -> list[Event]:
    _refuse_closed(alert, at)
    if alert.status == "acknowledged":
        raise Refused(
            "already_acknowledged",
            f"alert {alert.id} was already acknowledged by {alert.acknowledged_by} "
            f"at {_when(alert.acknowledged_at)}",
        )
    return [AlertAcknowledgedV1(**_lifecycle(alert, "acknowledged", at), by=by)]


def decide_action(alert: Alert, by: str, at: datetime, note: str | None = None) -> list[Event]:
    """Pending or acknowledged alerts may be actioned: a consultant who called straight away
    need not acknowledge first."""
    _refuse_closed(alert, at)
    return [AlertActionedV1(**_lifecycle(alert, "actioned", at), by=by, note=note)]


def decide_move(open_alerts: Sequence[Alert], move: ProspectMovedManuallyV1) -> list[Event]:
    """A consultant's move to or past an open alert's target stage resolves it, in their name:
    the prospect is where the skip pointed, so the alert has nothing left to ask. A move short
    of the target leaves it open. A pending alert already past its seven days expires instead."""
    out: list[Event] = []
    for alert in open_alerts:
        if not alert.open or move.to_stage < alert.target_stage:
            continue
        if alert.status == "pending" and move.occurred_at >= alert.expires_at:
            out.append(_expired(alert))
            continue
        resolved = AlertResolvedV1(
            **_lifecycle(alert, "resolved", move.occurred_at),
            causation_id=move.event_id,
            by=move.consultant,
            reason="moved_manually",
            stage=move.to_stage,
            note=move.reason,
        )
        out.append(resolved)
    return out


def decide_sweep(alert: Alert, now: datetime, escalate_after: timedelta) -> list[Event]:
    """What the clock does to a pending alert: expiry at exactly seven days after it was raised,
    else one escalation when it has been URGENT and unanswered for `escalate_after`. The events
    carry the moment they became due, so when the sweep ran does not change them."""
    if alert.status != "pending":
        return []
    if now >= alert.expires_at:
        return [_expired(alert)]
    due = alert.urgent_since + escalate_after if alert.urgent_since else None
    if alert.unanswered_escalated or due is None or now < due:
        return []
    return [
        AlertEscalatedV1(
            **_lifecycle(alert, "escalated:unanswered", due),
            priority=alert.priority,
            target_stage=alert.target_stage,
            gap=alert.gap,
            reason="unanswered",
            recommended_action=alert.recommended_action,
        )
    ]


def _raise(skip: StageSkippedV1, contact: Contact | None) -> AlertRaisedV1:
    priority = priority_for(skip.gap)
    return AlertRaisedV1(
        **skip.lineage(),
        event_id=skip.caused("raised"),
        occurred_at=skip.occurred_at,
        subject_id=skip.subject_id,
        alert_id=alert_id_for(skip),
        priority=priority,
        email=skip.email or (contact.email if contact else None),
        entry_point=skip.entry_point or (contact.entry_point if contact else None),
        current_stage=skip.current_stage,
        target_stage=skip.target_stage,
        gap=skip.gap,
        recent_clicks=contact.recent_clicks if contact else (),
        recommended_action=recommended_action(priority),
        expires_at=skip.occurred_at + EXPIRES_AFTER,
        clicked_at=_clicked_at(skip, contact),
    )


def _clicked_at(skip: StageSkippedV1, contact: Contact | None) -> datetime:
    # The journey dates a skip at its click's time; the click itself, when kept, says so first.
    clicked = str(skip.click_event_id)
    kept = (
        c.occurred_at for c in (contact.recent_clicks if contact else ()) if c.event_id == clicked
    )
    return next(kept, skip.occurred_at)


def _expired(alert: Alert) -> AlertExpiredV1:
    return AlertExpiredV1(**_lifecycle(alert, "expired", alert.expires_at))


def _refuse_closed(alert: Alert, at: datetime) -> None:
    if alert.status == "actioned":
        raise Refused(
            "archived",
            f"alert {alert.id} is archived: it was actioned by {alert.actioned_by} "
            f"at {_when(alert.actioned_at)}",
        )
    if alert.status == "resolved":
        raise Refused(
            "resolved",
            f"alert {alert.id} is resolved: {alert.resolved_by} moved the prospect to stage "
            f"{alert.resolved_stage} at {_when(alert.resolved_at)}",
        )
    if alert.status == "expired" or (alert.status == "pending" and at >= alert.expires_at):
        raise Refused(
            "expired",
            f"alert {alert.id} expired at {_when(alert.expires_at)}, seven days after it was "
            "raised without being acknowledged; it stays in the history only",
        )


def _lifecycle(alert: Alert, kind: str, at: datetime) -> dict[str, Any]:
    # One of each per alert, so the alert's id and the kind make the id: a retry or a second
    # sweeper finds the same event.
    return {
        "event_id": uuid.uuid5(alert.id, kind),
        "occurred_at": at,
        "subject_id": alert.subject_id,
        "correlation_id": alert.correlation_id,
        "alert_id": alert.id,
    }


def _when(at: datetime | None) -> str:
    return at.isoformat() if at else "an unknown time"
