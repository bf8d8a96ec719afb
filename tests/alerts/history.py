"""Builders for alert histories: the journey's events at fixed times, applied through the rules
the way the handler does, without a database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from schemas.envelope import Event
from schemas.journey import (
    PointsAwardedV1,
    ProspectEmailLinkedV1,
    ProspectMovedManuallyV1,
    StageSkippedV1,
)
from schemas.values import Cta, EntryPoint
from services.alerts.domain import decide, decide_move
from services.alerts.state import Alert, Contact, evolve, note

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
A = "a@x.io"
FIRST = EntryPoint(kind="cta", cta_id="webinar", cta_label="Webinar", captured_at=T0)


def at(minutes: float = 0, *, days: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(days=days, minutes=minutes, seconds=seconds)


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))


def cta(stage: int, name: str = "") -> Cta:
    name = name or f"stage{stage}"
    return Cta(id=name, label=name.title(), stage=stage, points=10)


def skip(
    current: int,
    target: int,
    when: datetime = T0,
    v: str = "v-1",
    *,
    email: str | None = A,
    entry_point: EntryPoint | None = FIRST,
    n: int = 0,
) -> StageSkippedV1:
    click = uid("click", v, when, target, n)
    return StageSkippedV1(
        event_id=uid("skip", click),
        occurred_at=when,
        subject_id=v,
        correlation_id=click,
        causation_id=click,
        current_stage=current,
        target_stage=target,
        gap=target - current,
        click_event_id=click,
        cta=cta(target),
        email=email,
        entry_point=entry_point,
    )


def awarded(stage: int, when: datetime = T0, v: str = "v-1", name: str = "") -> PointsAwardedV1:
    click = uid("click", v, when, stage, name)
    return PointsAwardedV1(
        event_id=uid("points", click),
        occurred_at=when,
        subject_id=v,
        click_event_id=click,
        cta=cta(stage, name),
        stage_before=1,
        gap=0,
        multiplier=1,
        points=10,
        total_points=10,
    )


def moved(
    to_stage: int,
    when: datetime,
    v: str = "v-1",
    *,
    by: str = "sam@example.com",
    reason: str = "signed on the call",
    from_stage: int = 2,
) -> ProspectMovedManuallyV1:
    return ProspectMovedManuallyV1(
        event_id=uid("moved", v, when, to_stage),
        occurred_at=when,
        subject_id=v,
        from_stage=from_stage,
        to_stage=to_stage,
        consultant=by,
        reason=reason,
    )


def email_linked(email: str, when: datetime = T0, v: str = "v-1") -> ProspectEmailLinkedV1:
    return ProspectEmailLinkedV1(
        event_id=uid("email", v, email), occurred_at=when, subject_id=v, email=email
    )


@dataclass
class Alerts:
    """What the handler keeps, in memory: every alert, and each prospect's contact context."""

    alerts: dict[uuid.UUID, Alert] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)

    def open(self, prospect: str) -> list[Alert]:
        return [a for a in self.alerts.values() if a.prospect_id == prospect and a.open]

    def only(self) -> Alert:
        [alert] = self.alerts.values()
        return alert

    def apply(self, event: Event) -> list[Event]:
        pid = event.subject_id
        if isinstance(event, StageSkippedV1):
            decided = decide(self.open(pid), event, self.contacts.get(pid))
        elif isinstance(event, ProspectMovedManuallyV1):
            decided = decide_move(self.open(pid), event)
        else:
            self.contacts[pid] = note(self.contacts.get(pid) or Contact(pid), event)
            return []
        self.record(decided)
        return decided

    def record(self, events: Sequence[Event]) -> None:
        for event in events:
            alert_id = getattr(event, "alert_id", None)
            assert isinstance(alert_id, uuid.UUID)
            after = evolve(self.alerts.get(alert_id), event)
            assert after is not None
            self.alerts[alert_id] = after


def given(*events: Event) -> Alerts:
    state = Alerts()
    for event in events:
        state.apply(event)
    return state
