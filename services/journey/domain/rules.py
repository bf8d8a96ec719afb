"""The rules' parameters: stages, thresholds, CTA points, decay. Pure."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.stages import DEFAULT_STAGE_NAMES
from schemas.values import Cta


@dataclass(frozen=True)
class Rules:
    """Stage names and thresholds (six, strictly increasing from 0), optional server-side base
    points per CTA id, and optional score decay."""

    names: tuple[str, ...] = DEFAULT_STAGE_NAMES
    thresholds: tuple[int, ...] = (0, 25, 75, 150, 250, 400)
    cta_points: Mapping[str, int] = field(default_factory=dict)
    half_life_days: float | None = None

    def stage_for(self, points: int) -> int:
        # Thresholds strictly increase: the stage is how many of them the points reach. A
        # bisect, not a scan over the six (it runs for every click: 5 % of the journey's CPU).
        stage = bisect_right(self.thresholds, points)
        if stage == 0:
            raise ValueError(f"{points} points reach no stage")
        return stage

    def name(self, stage: int) -> str:
        return self.names[stage - 1]

    def threshold(self, stage: int) -> int:
        return self.thresholds[stage - 1]

    def base_points(self, cta: Cta) -> int:
        return self.cta_points.get(cta.id, cta.points)


DEFAULT_RULES = Rules()


def decayed(points: int, since: datetime, at: datetime, half_life_days: float | None) -> int:
    """Whole points left at `at` from `points` held since `since`; by event time."""
    return decayed_exactly(points, 0, since, at, half_life_days)[0]


def decayed_exactly(
    points: int, thousandths: int, since: datetime, at: datetime, half_life_days: float | None
) -> tuple[int, int]:
    """Points and thousandths of a point left at `at`. The thousandths are carried from event
    to event, so rounding down at every click does not make frequent clickers decay faster."""
    if half_life_days is None or at <= since or (points == 0 and thousandths == 0):
        return points, thousandths
    halves = (at - since).total_seconds() / (half_life_days * 86_400)
    left = math.floor((points * 1000 + thousandths) * 0.5**halves)
    return divmod(left, 1000)
