"""The consultants' board: one row per live prospect, projected from the journey's events. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
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
from schemas.stages import DEFAULT_STAGE_NAMES
from schemas.values import EntryPoint

# (stage, entered at, left at or None while the prospect is still there), oldest first.
Period = tuple[int, datetime, datetime | None]


@dataclass(frozen=True)
class BoardRow:
    prospect_id: str
    stage: int
    points: int
    created_at: datetime
    entered_stage_at: datetime
    last_activity_at: datetime
    email: str | None = None
    imported: bool = False
    clicks: int = 0
    entry_kind: str | None = None
    entry_cta_id: str | None = None
    entry_cta_label: str | None = None
    entry_form_id: str | None = None
    entry_page: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    entry_captured_at: datetime | None = None
    stage_periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Board:
    """Live rows by prospect id, and the ids merged away (each with the id it went into)."""

    rows: Mapping[str, BoardRow]
    merged: Mapping[str, str]


EMPTY = Board({}, {})


def stage_name(stage: int, names: tuple[str, ...] = DEFAULT_STAGE_NAMES) -> str:
    return names[stage - 1]


def project(board: Board, events: Iterable[Event]) -> Board:
    """The board after `events`, in log order per prospect; `board` itself is left as it was.

    Events keyed by an id already merged away are dropped: the journey keys every event after a
    merge by the survivor, so such an event was decided before the merge, and the merge event
    carries its effects (points, clicks, entry points). That makes the result the same whatever
    order the partitions of different prospects were read in."""
    rows = dict(board.rows)
    merged = dict(board.merged)
    for event in events:
        _apply(rows, merged, event)
    return Board(rows, merged)


def _apply(rows: dict[str, BoardRow], merged: dict[str, str], event: Event) -> None:
    pid = event.subject_id
    if isinstance(event, ProspectsMergedV1):
        rows.pop(event.merged_id, None)
        merged[event.merged_id] = pid
    if pid in merged:
        return
    if isinstance(event, ProspectCreatedV1):
        if pid not in rows:
            at = event.occurred_at
            rows[pid] = BoardRow(
                prospect_id=pid,
                stage=event.stage,
                points=event.points,
                created_at=at,
                entered_stage_at=at,
                last_activity_at=at,
                email=event.email,
                imported=event.imported,
                stage_periods=((event.stage, at, None),),
            )
        return
    row = rows.get(pid)
    if row is not None:
        rows[pid] = _evolve(row, event)


def _evolve(row: BoardRow, event: Event) -> BoardRow:
    at = event.occurred_at
    active = max(row.last_activity_at, at)
    if isinstance(event, EntryPointCapturedV1):
        # The latest capture is the entry point: an inquiry replaces a first click's.
        return replace(row, last_activity_at=active, **_entry(event.entry_point))
    if isinstance(event, PointsAwardedV1):
        return replace(
            row, points=event.total_points, clicks=row.clicks + 1, last_activity_at=active
        )
    if isinstance(event, StageChangedV1):
        periods = list(row.stage_periods)
        if periods and periods[-1][2] is None:
            stage, entered, _ = periods[-1]
            periods[-1] = (stage, entered, max(at, entered))
        periods.append((event.new_stage, at, None))
        return replace(
            row, stage=event.new_stage, entered_stage_at=at, stage_periods=tuple(periods)
        )
    if isinstance(event, ProspectMovedManuallyV1):
        # A consultant's move is not the prospect's activity; its points follow the move.
        return replace(row, points=row.points + event.points_delta)
    if isinstance(event, ProspectRescoredV1):
        # New rules applied by an operator: not the prospect's activity either.
        return replace(row, points=event.total_points)
    if isinstance(event, ProspectEmailLinkedV1):
        return replace(row, email=event.email, last_activity_at=active)
    if isinstance(event, ProspectsMergedV1):
        inherited: dict[str, Any] = {}
        if row.entry_kind is None and not row.imported and event.merged_entry_points:
            inherited = _entry(event.merged_entry_points[-1])
        return replace(
            row,
            points=event.total_points,
            clicks=row.clicks + event.merged_clicks,
            email=event.email,
            last_activity_at=active,
            **inherited,
        )
    return row


def time_per_stage(row: BoardRow, now: datetime) -> dict[int, float]:
    """Seconds spent in each stage the prospect has been in; the current stage counts to `now`."""
    seconds: dict[int, float] = {}
    for stage, entered, left in row.stage_periods:
        spent = ((left or max(now, entered)) - entered).total_seconds()
        seconds[stage] = seconds.get(stage, 0.0) + spent
    return seconds


def _entry(entry: EntryPoint) -> dict[str, Any]:
    return {
        "entry_kind": entry.kind,
        "entry_cta_id": entry.cta_id,
        "entry_cta_label": entry.cta_label,
        "entry_form_id": entry.form_id,
        "entry_page": entry.page,
        "utm_source": entry.utm.source,
        "utm_medium": entry.utm.medium,
        "utm_campaign": entry.utm.campaign,
        "entry_captured_at": entry.captured_at,
    }
