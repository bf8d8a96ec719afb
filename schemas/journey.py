"""Facts the journey service records about prospects (topic `crm.journey`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.envelope import Email, Event, Stage, SubjectId
from schemas.values import Cta, EntryPoint


class ProspectCreatedV1(Event):
    """A prospect entered the journey in Stage 1 (or the stage it was imported at)."""

    type: Literal["prospect.created.v1"] = "prospect.created.v1"
    stage: Stage
    email: Email | None = None
    imported: bool = False
    points: int = Field(default=0, ge=0, description="points an imported prospect brought")
    name: str | None = Field(default=None, max_length=300)


class EntryPointCapturedV1(Event):
    """An entry point was captured: the very first click, or any inquiry form."""

    type: Literal["entry_point.captured.v1"] = "entry_point.captured.v1"
    entry_point: EntryPoint


class PointsAwardedV1(Event):
    """Points a click earned: base x max(1, gap)."""

    type: Literal["points.awarded.v1"] = "points.awarded.v1"
    click_event_id: uuid.UUID
    cta: Cta
    stage_before: Stage
    gap: int
    multiplier: int = Field(ge=1)
    points: int = Field(ge=1)
    total_points: int = Field(ge=0)
    decayed: int = Field(default=0, ge=0, description="points lost to decay since the last award")
    thousandths: int = Field(
        default=0, ge=0, le=999, description="fraction of a point carried after decay, in 1/1000"
    )


class StageChangedV1(Event):
    """The prospect's stage changed, automatically (points) or manually (a consultant)."""

    type: Literal["stage.changed.v1"] = "stage.changed.v1"
    old_stage: Stage
    new_stage: Stage
    cause: Literal["points", "manual", "merge", "import", "rescore"]
    changed_by: str | None = Field(
        default=None, description="consultant for a manual move, operator for a rescore"
    )
    reason: str | None = Field(default=None, max_length=1000)


class StageSkippedV1(Event):
    """A click targeted a stage beyond the next one (gap >= 2)."""

    type: Literal["stage.skipped.v1"] = "stage.skipped.v1"
    current_stage: Stage
    target_stage: Stage
    gap: int = Field(ge=2)
    click_event_id: uuid.UUID
    cta: Cta
    email: Email | None = None
    entry_point: EntryPoint | None = None


class ProspectMovedManuallyV1(Event):
    """A consultant moved a prospect to a stage, with a reason."""

    type: Literal["prospect.moved_manually.v1"] = "prospect.moved_manually.v1"
    from_stage: Stage
    to_stage: Stage
    consultant: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)
    points_delta: int = Field(
        default=0, description="points set to agree with the new stage's threshold"
    )


class ProspectRescoredV1(Event):
    """An operator applied new rules to the prospect's whole history (`crm-journey rescore`):
    its points and stage are now what replaying its events under those rules gives."""

    type: Literal["prospect.rescored.v1"] = "prospect.rescored.v1"
    rescore_id: uuid.UUID = Field(description="one id for every prospect of the same rescore")
    rules: str = Field(min_length=1, max_length=300, description="the rules file and its digest")
    from_stage: Stage
    to_stage: Stage
    points_delta: int = Field(description="the rescored points minus the points held before")
    total_points: int = Field(ge=0)
    thousandths: int = Field(
        default=0, ge=0, le=999, description="fraction of a point carried after decay, in 1/1000"
    )
    points_as_of: datetime = Field(description="event time the rescored points are valued at")


class ProspectEmailLinkedV1(Event):
    """An email was linked to the prospect (inquiry or identify)."""

    type: Literal["prospect.email_linked.v1"] = "prospect.email_linked.v1"
    email: Email


class ProspectsMergedV1(Event):
    """Two visitor ids proved to be one person; `merged_id` folds into `subject_id`."""

    type: Literal["prospects.merged.v1"] = "prospects.merged.v1"
    merged_id: SubjectId
    email: Email
    stage: Stage
    total_points: int = Field(ge=0)
    merged_points: int = Field(default=0, ge=0, description="points the merged prospect brought")
    merged_clicks: int = Field(default=0, ge=0)
    merged_entry_points: tuple[EntryPoint, ...] = ()
    decayed: int = Field(default=0, ge=0, description="the survivor's points lost to decay")
    merged_decayed: int = Field(
        default=0, ge=0, description="the merged prospect's points lost to decay"
    )
    thousandths: int = Field(
        default=0, ge=0, le=999, description="fraction of a point carried after decay, in 1/1000"
    )
