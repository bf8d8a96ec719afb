"""The alert feed: one row per skip alert with its lifecycle's times, projected from the alerts
service's events, for response-time analytics (how fast consultants acknowledge and act). Pure."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from schemas.alerts import (
    AlertAcknowledgedV1,
    AlertActionedV1,
    AlertEscalatedV1,
    AlertExpiredV1,
    AlertRaisedV1,
    AlertRepeatedV1,
    AlertResolvedV1,
)
from schemas.envelope import Event

PRIORITIES = ("HIGH", "URGENT")
STATUSES = ("pending", "acknowledged", "actioned", "resolved", "expired")


@dataclass(frozen=True)
class AlertRow:
    alert_id: str
    prospect_id: str
    priority: str
    status: str
    target_stage: int
    gap: int
    raised_at: datetime
    repeats: int = 1
    escalated: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    actioned_at: datetime | None = None
    actioned_by: str | None = None
    expired_at: datetime | None = None


def feed(rows: Mapping[str, AlertRow], events: Iterable[Event]) -> dict[str, AlertRow]:
    """The rows these events change, after them; `rows` holds those already stored."""
    out: dict[str, AlertRow] = {}
    for event in events:
        if isinstance(event, AlertRaisedV1):
            key = str(event.alert_id)
            if key not in out and key not in rows:
                out[key] = AlertRow(
                    alert_id=key,
                    prospect_id=event.subject_id,
                    priority=event.priority,
                    status="pending",
                    target_stage=event.target_stage,
                    gap=event.gap,
                    raised_at=event.occurred_at,
                )
            continue
        key = str(getattr(event, "alert_id", ""))
        row = out.get(key) or rows.get(key)
        if row is not None:
            out[key] = _evolve(row, event)
    return out


def _evolve(row: AlertRow, event: Event) -> AlertRow:
    at = event.occurred_at
    if isinstance(event, AlertRepeatedV1):
        return replace(
            row, repeats=event.count, target_stage=event.target_stage or row.target_stage
        )
    if isinstance(event, AlertEscalatedV1):
        return replace(
            row,
            priority=event.priority,
            target_stage=event.target_stage,
            gap=event.gap,
            escalated=True,
        )
    if isinstance(event, AlertAcknowledgedV1):
        return replace(row, status="acknowledged", acknowledged_at=at, acknowledged_by=event.by)
    if isinstance(event, AlertActionedV1):
        return replace(row, status="actioned", actioned_at=at, actioned_by=event.by)
    if isinstance(event, AlertResolvedV1):
        # A manual move closed it; the move is no answer to the alert, so no response time.
        return replace(row, status="resolved")
    if isinstance(event, AlertExpiredV1):
        return replace(row, status="expired", expired_at=at)
    return row


@dataclass(frozen=True)
class Responses:
    """Alerts of one priority: how many in each status, and how long consultants took."""

    priority: str
    raised: int
    by_status: Mapping[str, int]
    escalated: int
    acknowledge_seconds: Sequence[float]  # raised → acknowledged (or actioned directly)
    action_seconds: Sequence[float]  # raised → actioned

    def summary(self) -> dict[str, Any]:
        return {
            "priority": self.priority,
            "raised": self.raised,
            **{status: self.by_status.get(status, 0) for status in STATUSES},
            "escalated": self.escalated,
            "time_to_acknowledge": _stats(self.acknowledge_seconds),
            "time_to_action": _stats(self.action_seconds),
        }


def responses(rows: Iterable[AlertRow]) -> list[Responses]:
    grouped: dict[str, list[AlertRow]] = {p: [] for p in PRIORITIES}
    for row in rows:
        grouped.setdefault(row.priority, []).append(row)
    out = []
    for priority, alerts in grouped.items():
        acknowledged = [
            (first - r.raised_at).total_seconds()
            for r in alerts
            if (first := r.acknowledged_at or r.actioned_at) is not None
        ]
        actioned = [(r.actioned_at - r.raised_at).total_seconds() for r in alerts if r.actioned_at]
        by_status: dict[str, int] = {}
        for r in alerts:
            by_status[r.status] = by_status.get(r.status, 0) + 1
        out.append(
            Responses(
                priority,
                len(alerts),
                by_status,
                sum(r.escalated for r in alerts),
                sorted(acknowledged),
                sorted(actioned),
            )
        )
    return out


def _stats(seconds: Sequence[float]) -> dict[str, float | int | None]:
    if not seconds:
        return {"count": 0, "average_seconds": None, "median_seconds": None, "p90_seconds": None}
    ordered = sorted(seconds)
    return {
        "count": len(ordered),
        "average_seconds": round(statistics.fmean(ordered), 1),
        "median_seconds": round(statistics.median(ordered), 1),
        "p90_seconds": round(_percentile(ordered, 0.9), 1),
    }


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
