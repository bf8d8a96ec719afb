"""The journey's facts the planning service learns prospect ids from, and note commands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from schemas.journey import ProspectCreatedV1, ProspectsMergedV1, StageChangedV1
from services.planning.domain import WriteNote

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))


def created(v: str, minute: float = 0) -> ProspectCreatedV1:
    return ProspectCreatedV1(
        event_id=uid("created", v), occurred_at=at(minute), subject_id=v, stage=1
    )


def merged(survivor: str, gone: str, minute: float = 5) -> ProspectsMergedV1:
    return ProspectsMergedV1(
        event_id=uid("merged", survivor, gone),
        occurred_at=at(minute),
        subject_id=survivor,
        merged_id=gone,
        email=f"{survivor}@example.com",
        stage=2,
        total_points=30,
    )


def changed(v: str, minute: float = 1) -> StageChangedV1:
    return StageChangedV1(
        event_id=uid("changed", v, minute),
        occurred_at=at(minute),
        subject_id=v,
        old_stage=1,
        new_stage=2,
        cause="points",
    )


def write(v: str, text: str = "Phase 1: migrate onboarding", command: str = "c-1") -> WriteNote:
    return WriteNote(uid("command", command), v, text, "ana@example.com", at(10))
