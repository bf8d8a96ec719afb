"""A prospect's state, and how each of the journey's own events changes it. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.envelope import Event
from schemas.journey import (
    EntryPointCapturedV1,
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectEmailLinkedV1,
    ProspectMovedManuallyV1,
    ProspectRescoredV1,
    ProspectsMergedV1,
    StageChangedV1,
)
from schemas.values import EntryPoint


@dataclass(frozen=True)
class Period:
    stage: int
    entered_at: datetime
    exited_at: datetime | None = None


@dataclass(frozen=True)
class Prospect:
    id: str
    stage: int
    points: int
    created_at: datetime
    last_activity_at: datetime
    points_as_of: datetime
    email: str | None = None
    name: str | None = None
    entry_point: EntryPoint | None = None
    entry_point_history: tuple[EntryPoint, ...] = ()
    imported: bool = False
    clicks: int = 0
    periods: tuple[Period, ...] = ()
    merged_into: str | None = None
    thousandths: int = 0


@dataclass(frozen=True)
class MoveStage:
    """A consultant's command to put a prospect in a stage."""

    command_id: uuid.UUID
    prospect_id: str
    to_stage: int
    reason: str
    consultant: str
    at: datetime


def evolve(prospect: Prospect | None, event: Event) -> Prospect | None:
    """The prospect after one of the journey's own events."""
    if isinstance(event, ProspectCreatedV1):
        at = event.occurred_at
        return Prospect(
            id=event.subject_id,
            stage=event.stage,
            points=event.points,
            created_at=at,
            last_activity_at=at,
            points_as_of=at,
            email=event.email,
            name=event.name,
            imported=event.imported,
            periods=(Period(event.stage, at),),
        )
    if prospect is None:
        return None
    if isinstance(event, EntryPointCapturedV1):
        history = (*prospect.entry_point_history, event.entry_point)
        return _with(prospect, entry_point=event.entry_point, entry_point_history=history)
    if isinstance(event, PointsAwardedV1):
        return _with(
            prospect,
            last_activity_at=max(prospect.last_activity_at, event.occurred_at),
            points=event.total_points,
            thousandths=event.thousandths,
            points_as_of=max(prospect.points_as_of, event.occurred_at),
            clicks=prospect.clicks + 1,
        )
    if isinstance(event, StageChangedV1):
        return _enter(prospect, event.new_stage, event.occurred_at)
    if isinstance(event, ProspectMovedManuallyV1):
        return _with(
            prospect,
            points=prospect.points + event.points_delta,
            thousandths=0,
            points_as_of=max(prospect.points_as_of, event.occurred_at),
        )
    if isinstance(event, ProspectRescoredV1):
        return _with(
            prospect,
            points=event.total_points,
            thousandths=event.thousandths,
            points_as_of=event.points_as_of,
        )
    if isinstance(event, ProspectEmailLinkedV1):
        return _with(prospect, email=event.email)
    if isinstance(event, ProspectsMergedV1):
        history = tuple(
            sorted(
                (*prospect.entry_point_history, *event.merged_entry_points),
                key=lambda ep: ep.captured_at,
            )
        )
        inherited = prospect.entry_point
        if inherited is None and not prospect.imported and event.merged_entry_points:
            # The merged prospect's current entry point is its latest capture (an inquiry
            # replaces the first click's), not the first one in its history.
            inherited = event.merged_entry_points[-1]
        return _with(
            prospect,
            points=event.total_points,
            thousandths=event.thousandths,
            points_as_of=max(prospect.points_as_of, event.occurred_at),
            clicks=prospect.clicks + event.merged_clicks,
            email=event.email,
            entry_point=inherited,
            entry_point_history=history,
        )
    return prospect


def fold(prospect: Prospect | None, events: Sequence[Event]) -> Prospect | None:
    for event in events:
        if event.subject_id == (prospect.id if prospect else event.subject_id):
            prospect = evolve(prospect, event)
    return prospect


def merged_away(prospect: Prospect, merge: ProspectsMergedV1) -> Prospect:
    return _with(prospect, merged_into=merge.subject_id)


def _with(prospect: Prospect, **changes: Any) -> Prospect:
    """`dataclasses.replace` without its per-call field introspection: evolve runs per event."""
    new = object.__new__(Prospect)
    new.__dict__.update(prospect.__dict__)
    new.__dict__.update(changes)
    return new


def _enter(prospect: Prospect, stage: int, at: datetime) -> Prospect:
    periods = list(prospect.periods)
    if periods and (last := periods[-1]).exited_at is None:
        periods[-1] = Period(last.stage, last.entered_at, max(at, last.entered_at))
    periods.append(Period(stage, at))
    return _with(prospect, stage=stage, periods=tuple(periods))
