"""Value objects carried inside events."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from schemas.envelope import BasePoints, Frozen, Stage


class Utm(Frozen):
    """UTM attribution of a visit; every part is optional."""

    source: str | None = Field(default=None, max_length=200)
    medium: str | None = Field(default=None, max_length=200)
    campaign: str | None = Field(default=None, max_length=200)


class Cta(Frozen):
    """A call to action as the website describes it."""

    id: str = Field(min_length=1, max_length=200)
    label: str = Field(default="", max_length=500)
    stage: Stage
    points: BasePoints
    required_tier: str | None = Field(default=None, max_length=100)


class EntryPoint(Frozen):
    """Where a prospect entered the journey: the first CTA click, or an inquiry form."""

    kind: str = Field(description="'cta' for a first click, 'inquiry' for an inquiry form")
    cta_id: str | None = None
    cta_label: str | None = None
    form_id: str | None = None
    page: str | None = None
    utm: Utm = Utm()
    captured_at: AwareDatetime


class RecentClick(Frozen):
    """A click as contact context on an alert."""

    event_id: str
    cta_id: str
    cta_label: str
    cta_stage: Stage
    occurred_at: AwareDatetime
