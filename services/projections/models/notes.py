"""Consultants' roadmap notes, as the planning events record them. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import Event
from schemas.planning import RoadmapNoteRecordedV1


@dataclass(frozen=True)
class RoadmapNote:
    note_id: str
    prospect_id: str
    text: str
    author: str
    recorded_at: datetime


def roadmap_notes(events: Iterable[Event]) -> list[RoadmapNote]:
    """The notes that `events` record, in log order."""
    return [
        RoadmapNote(
            note_id=str(e.note_id),
            prospect_id=e.subject_id,
            text=e.text,
            author=e.author,
            recorded_at=e.occurred_at,
        )
        for e in events
        if isinstance(e, RoadmapNoteRecordedV1)
    ]
