"""Journey analytics: the figures, the date window they cover, percentiles and CSV. Pure."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from schemas.stages import STAGES

Dimension = Literal["entry_point", "utm_source", "utm_medium", "utm_campaign"]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
DIMENSION_LABELS = {
    "entry_point": "First CTA",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
}
# A stage one can advance from: the last one has nowhere higher to go.
ADVANCING_STAGES = STAGES[:-1]
# Grouped by entry point, a prospect that entered through an inquiry form is keyed by the form.
FORM_KEY = "form:"
FORM_LABEL = "Form: "


# The days a window may name: wider than any history, narrow enough that the day after the last
# one, and every database's timestamps, stay in range.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def day_in_range(day: date) -> date:
    """Raises ValueError for a day outside FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be a day from {FIRST_DAY} to {LAST_DAY}")
    return day


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; None leaves that side open. Built from whole days, both inclusive."""

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def of_days(cls, first: date | None, last: date | None) -> Window:
        """Raises ValueError when the last day comes before the first, or either is out of range."""
        for day in (first, last):
            if day is not None:
                day_in_range(day)
        if first is not None and last is not None and last < first:
            raise ValueError("`to` is before `from`")
        start = datetime.combine(first, time(), UTC) if first else None
        end = datetime.combine(last + timedelta(days=1), time(), UTC) if last else None
        return cls(start, end)


@dataclass(frozen=True)
class StageCount:
    stage: int
    prospects: int


@dataclass(frozen=True)
class Conversion:
    """Of the prospects with this entry point value (None: none captured), how many reached the
    target stage at some time (their peak stage, so a later manual move down still counts)."""

    key: str | None
    label: str | None
    prospects: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.prospects if self.prospects else None


@dataclass(frozen=True)
class AdvanceTimes:
    """Seconds spent in a stage before moving to a higher one, over the advances counted."""

    stage: int
    advances: int
    average: float | None = None
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class DropOff:
    """Of the prospects now in this stage, how many have had no activity since the cutoff."""

    stage: int
    prospects: int
    inactive: int

    @property
    def rate(self) -> float | None:
        return self.inactive / self.prospects if self.prospects else None


@dataclass(frozen=True)
class CohortStage:
    """The window's prospects now in one stage: how many, how many have had no activity since
    the cutoff, how many reached the target stage at some time. One query gives distribution,
    drop-off and overall conversion."""

    stage: int
    prospects: int
    inactive: int = 0
    converted: int = 0


@dataclass(frozen=True)
class FunnelStep:
    """How many of the cohort reached at least this stage (by their peak stage, so a stage
    skipped on the way up or left by a move down still counts), and how many the stage before."""

    stage: int
    reached: int
    previous: int | None = None

    @property
    def step_rate(self) -> float | None:
        return None if self.previous is None else share(self.reached, self.previous)


def funnel(peaks: Mapping[int, int]) -> list[FunnelStep]:
    """The funnel of a cohort counted by peak stage."""
    reached = [sum(n for peak, n in peaks.items() if peak >= s) for s in STAGES]
    return [FunnelStep(s, reached[i], reached[i - 1] if i else None) for i, s in enumerate(STAGES)]


def share(count: int, total: int) -> float | None:
    return count / total if total else None


def percentile_rank(n: int, fraction: float) -> tuple[int, float]:
    """Where percentile `fraction` of n ordered values lies: the index of the value below it
    and how far towards the next (PostgreSQL's `percentile_cont` interpolation)."""
    position = (n - 1) * fraction
    below = math.floor(position)
    return below, position - below


def interpolate(values: Sequence[float], weight: float) -> float:
    """Between the value below a percentile and the one above (when there is one)."""
    if len(values) < 2 or weight == 0:
        return values[0]
    return values[0] + (values[1] - values[0]) * weight


def percentile(ordered: Sequence[float], fraction: float) -> float:
    below, weight = percentile_rank(len(ordered), fraction)
    return interpolate(ordered[below : below + 2], weight)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Numbers as they are, empty cells for None; a cell a spreadsheet would read as a formula
    is prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def stages_csv(counts: Sequence[StageCount], names: Sequence[str]) -> str:
    total = sum(c.prospects for c in counts)
    rows = [(c.stage, names[c.stage - 1], c.prospects, share(c.prospects, total)) for c in counts]
    return csv_text(("stage", "name", "prospects", "share"), rows)


def conversion_csv(by: str, target: int, rows: Sequence[Conversion]) -> str:
    return csv_text(
        (by, "label", "prospects", f"reached_stage_{target}", "rate"),
        ((r.key, r.label, r.prospects, r.converted, r.rate) for r in rows),
    )


def advance_csv(rows: Sequence[AdvanceTimes], names: Sequence[str]) -> str:
    return csv_text(
        ("stage", "name", "advances", "average_seconds", "median_seconds", "p90_seconds"),
        ((r.stage, names[r.stage - 1], r.advances, r.average, r.median, r.p90) for r in rows),
    )


def drop_off_csv(rows: Sequence[DropOff], names: Sequence[str]) -> str:
    return csv_text(
        ("stage", "name", "prospects", "inactive", "rate"),
        ((r.stage, names[r.stage - 1], r.prospects, r.inactive, r.rate) for r in rows),
    )


def funnel_csv(steps: Sequence[FunnelStep], names: Sequence[str]) -> str:
    everyone = steps[0].reached if steps else 0
    return csv_text(
        ("stage", "name", "reached", "step_rate", "overall_rate"),
        (
            (f.stage, names[f.stage - 1], f.reached, f.step_rate, share(f.reached, everyone))
            for f in steps
        ),
    )
