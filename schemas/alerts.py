"""Facts of the consultant-alert lifecycle (topic `crm.alerts`): alerts raised for a skip or
for a request to talk to sales, and what happens to them after."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.envelope import Email, Event, Stage
from schemas.values import EntryPoint, RecentClick

Priority = Literal["HIGH", "URGENT"]


class AlertRaisedV1(Event):
    """A consultant alert was raised for a skip."""

    type: Literal["alert.raised.v1"] = "alert.raised.v1"
    alert_id: uuid.UUID
    priority: Priority
    email: Email | None = None
    entry_point: EntryPoint | None = None
    current_stage: Stage
    target_stage: Stage
    gap: int = Field(ge=2)
    recent_clicks: tuple[RecentClick, ...] = Field(
        default=(), description="the prospect's latest clicks (at most 5), newest first"
    )
    recommended_action: str
    expires_at: AwareDatetime
    clicked_at: AwareDatetime | None = Field(
        default=None,
        description="when the click that raised it happened (its occurred_at); absent on "
        "alerts raised before this field existed",
    )


class SalesAlertRaisedV1(Event):
    """A consultant alert was raised for a prospect's request to talk to sales
    (`sales_contact.requested.v1`, its cause). Acknowledged, actioned and expired like a skip
    alert, through the same lifecycle events on its `alert_id`."""

    type: Literal["sales_alert.raised.v1"] = "sales_alert.raised.v1"
    alert_id: uuid.UUID
    priority: Priority
    email: Email
    name: str | None = Field(default=None, max_length=300)
    message: str | None = Field(default=None, max_length=5000)
    required_tier: str | None = Field(default=None, description="the tier they asked about")
    current_tier: str | None = Field(default=None, description="the tier they had when asking")
    cta_id: str | None = Field(default=None, description="the CTA that led them to ask")
    recommended_action: str
    expires_at: AwareDatetime


class AlertRepeatedV1(Event):
    """The same skip happened again while the alert was open; no new notification."""

    type: Literal["alert.repeated.v1"] = "alert.repeated.v1"
    alert_id: uuid.UUID
    count: int = Field(ge=2)
    target_stage: Stage | None = Field(
        default=None, description="the repeated skip's target; at most the alert's own"
    )
    recent_clicks: tuple[RecentClick, ...] = Field(
        default=(), description="the prospect's latest clicks, newest first"
    )


class AlertEscalatedV1(Event):
    """An open alert got a higher target or priority, or sat unanswered too long."""

    type: Literal["alert.escalated.v1"] = "alert.escalated.v1"
    alert_id: uuid.UUID
    priority: Priority
    target_stage: Stage
    gap: int = Field(ge=2)
    reason: Literal["higher_target", "unanswered"]
    recommended_action: str | None = Field(default=None, description="for the new priority")
    recent_clicks: tuple[RecentClick, ...] = Field(
        default=(), description="the prospect's latest clicks, newest first (higher_target)"
    )


class AlertAcknowledgedV1(Event):
    """A consultant acknowledged the alert."""

    type: Literal["alert.acknowledged.v1"] = "alert.acknowledged.v1"
    alert_id: uuid.UUID
    by: str


class AlertActionedV1(Event):
    """A consultant acted on the alert; it is archived."""

    type: Literal["alert.actioned.v1"] = "alert.actioned.v1"
    alert_id: uuid.UUID
    by: str
    note: str | None = Field(default=None, max_length=2000)


class AlertExpiredV1(Event):
    """A pending alert reached 7 days without acknowledgement."""

    type: Literal["alert.expired.v1"] = "alert.expired.v1"
    alert_id: uuid.UUID


class AlertResolvedV1(Event):
    """The prospect reached the alert's target stage another way: a consultant moved it there,
    or past it, by hand. The open alert is closed (archived) with the move as its reason."""

    type: Literal["alert.resolved.v1"] = "alert.resolved.v1"
    alert_id: uuid.UUID
    by: str = Field(description="the consultant who moved the prospect")
    reason: Literal["moved_manually"]
    stage: Stage = Field(description="the stage the prospect was moved to")
    note: str | None = Field(default=None, max_length=1000, description="the move's reason")
