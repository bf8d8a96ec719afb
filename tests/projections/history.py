"""Builders for the journey's events at fixed times, as the projections service receives them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from schemas.envelope import Event
from schemas.journey import (
    EntryPointCapturedV1,
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectEmailLinkedV1,
    ProspectMovedManuallyV1,
    ProspectsMergedV1,
    StageChangedV1,
    StageSkippedV1,
)
from schemas.values import Cta, EntryPoint, Utm
from services.projections.models.board import EMPTY, Board, BoardRow, project

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))


def entry(
    cta: str = "webinar", minute: float = 0, campaign: str | None = "q4", kind: str = "cta"
) -> EntryPoint:
    return EntryPoint(
        kind=kind,
        cta_id=cta if kind == "cta" else None,
        cta_label=cta.title() if kind == "cta" else None,
        form_id=cta if kind == "inquiry" else None,
        page=f"https://example.com/{cta}",
        utm=Utm(source="google", medium="cpc", campaign=campaign),
        captured_at=at(minute),
    )


def created(
    v: str = "v-1",
    minute: float = 0,
    *,
    stage: int = 1,
    email: str | None = None,
    imported: bool = False,
    points: int = 0,
) -> ProspectCreatedV1:
    return ProspectCreatedV1(
        event_id=uid("created", v),
        occurred_at=at(minute),
        subject_id=v,
        stage=stage,
        email=email,
        imported=imported,
        points=points,
    )


def captured(
    v: str = "v-1",
    minute: float = 0,
    *,
    cta: str = "webinar",
    campaign: str | None = "q4",
    kind: str = "cta",
) -> EntryPointCapturedV1:
    point = entry(cta, minute, campaign, kind)
    return EntryPointCapturedV1(
        event_id=uid("entry", v, minute), occurred_at=at(minute), subject_id=v, entry_point=point
    )


def awarded(
    v: str = "v-1", minute: float = 0, *, total: int, points: int = 10, stage: int = 1
) -> PointsAwardedV1:
    click = uid("click", v, minute)
    return PointsAwardedV1(
        event_id=uid("points", click),
        occurred_at=at(minute),
        subject_id=v,
        click_event_id=click,
        cta=Cta(id=f"stage{stage}", label=f"Stage {stage}", stage=stage, points=min(points, 50)),
        stage_before=1,
        gap=0,
        multiplier=1,
        points=points,
        total_points=total,
    )


def changed(v: str = "v-1", minute: float = 0, *, old: int, new: int) -> StageChangedV1:
    return StageChangedV1(
        event_id=uid("stage", v, minute, new),
        occurred_at=at(minute),
        subject_id=v,
        old_stage=old,
        new_stage=new,
        cause="points",
    )


def skipped(v: str = "v-1", minute: float = 0, *, current: int, target: int) -> StageSkippedV1:
    click = uid("click", v, minute)
    return StageSkippedV1(
        event_id=uid("skip", click),
        occurred_at=at(minute),
        subject_id=v,
        current_stage=current,
        target_stage=target,
        gap=target - current,
        click_event_id=click,
        cta=Cta(id=f"stage{target}", label="Jump", stage=target, points=10),
    )


def linked(v: str = "v-1", minute: float = 0, *, email: str) -> ProspectEmailLinkedV1:
    return ProspectEmailLinkedV1(
        event_id=uid("email", v, email), occurred_at=at(minute), subject_id=v, email=email
    )


def moved(v: str = "v-1", minute: float = 0, *, old: int, new: int, delta: int) -> list[Event]:
    command = uid("move", v, minute)
    return [
        ProspectMovedManuallyV1(
            event_id=uid(command, "moved"),
            occurred_at=at(minute),
            subject_id=v,
            from_stage=old,
            to_stage=new,
            consultant="ann@crm.io",
            reason="phoned them",
            points_delta=delta,
        ),
        StageChangedV1(
            event_id=uid(command, "stage"),
            occurred_at=at(minute),
            subject_id=v,
            old_stage=old,
            new_stage=new,
            cause="manual",
            changed_by="ann@crm.io",
        ),
    ]


def merged(
    survivor: str,
    gone: str,
    minute: float,
    *,
    email: str,
    total: int,
    stage: int = 1,
    clicks: int = 0,
    entry_points: Sequence[EntryPoint] = (),
) -> ProspectsMergedV1:
    return ProspectsMergedV1(
        event_id=uid("merge", survivor, gone),
        occurred_at=at(minute),
        subject_id=survivor,
        merged_id=gone,
        email=email,
        stage=stage,
        total_points=total,
        merged_clicks=clicks,
        merged_entry_points=tuple(entry_points),
    )


def first_click(
    v: str = "v-1", minute: float = 0, *, cta: str = "webinar", campaign: str | None = "q4"
) -> list[Event]:
    """What the journey records for a visitor's first click on a Stage 1 CTA worth 10."""
    return [
        created(v, minute),
        captured(v, minute, cta=cta, campaign=campaign),
        awarded(v, minute, total=10),
    ]


def board_after(*histories: Sequence[Event]) -> Board:
    return project(EMPTY, [e for history in histories for e in history])


def row_after(*histories: Sequence[Event], v: str = "v-1") -> BoardRow:
    return board_after(*histories).rows[v]
