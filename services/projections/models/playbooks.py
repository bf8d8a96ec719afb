"""Gated playbook counters per (playbook, variation), from the content events. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.content import (
    GatedContentSubmittedV1,
    GatedContentViewedV1,
    PlaybookCopyGeneratedV1,
)
from schemas.envelope import Event

# Gated playbook content (topic `crm.content`): per (playbook id, variation id) counters.
PlaybookKey = tuple[str, str]


@dataclass(frozen=True)
class PlaybookCounts:
    """Views and submissions of one variation of a gated playbook; the time to submit is kept
    as a sum and a count (of the submissions that carried one) so counts add up."""

    views: int = 0
    submissions: int = 0
    seconds_sum: float = 0.0
    seconds_count: int = 0

    def __add__(self, other: PlaybookCounts) -> PlaybookCounts:
        return PlaybookCounts(
            self.views + other.views,
            self.submissions + other.submissions,
            self.seconds_sum + other.seconds_sum,
            self.seconds_count + other.seconds_count,
        )

    @property
    def conversion_rate(self) -> float | None:
        """Submissions per view; None while the variation has not been shown."""
        return self.submissions / self.views if self.views else None

    @property
    def average_seconds_to_submit(self) -> float | None:
        return self.seconds_sum / self.seconds_count if self.seconds_count else None


def playbook_counts(events: Iterable[Event]) -> dict[PlaybookKey, PlaybookCounts]:
    """What these content events add to each variation's counters. A generated copy makes its
    variation known (zero views until shown); a view shown with fallback copy counts under the
    variation id it carries; a fallback-used fact is no view by itself. Apply each event once
    (the caller drops redeliveries by event id)."""
    out: dict[PlaybookKey, PlaybookCounts] = {}
    for event in events:
        if isinstance(event, GatedContentViewedV1):
            delta = PlaybookCounts(views=1)
        elif isinstance(event, GatedContentSubmittedV1):
            seconds = event.seconds_to_submit
            delta = PlaybookCounts(
                submissions=1,
                seconds_sum=seconds or 0.0,
                seconds_count=0 if seconds is None else 1,
            )
        elif isinstance(event, PlaybookCopyGeneratedV1):
            delta = PlaybookCounts()
        else:
            continue
        key = (event.playbook_id, event.variation_id)
        out[key] = out.get(key, PlaybookCounts()) + delta
    return out
