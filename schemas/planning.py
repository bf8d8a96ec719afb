"""Facts of consultants' implementation planning (topic `crm.planning`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from schemas.envelope import Email, Event


class RoadmapNoteRecordedV1(Event):
    """A consultant wrote a roadmap note for a prospect in Construction or Mastery."""

    type: Literal["roadmap_note.recorded.v1"] = "roadmap_note.recorded.v1"
    note_id: uuid.UUID
    text: str = Field(min_length=1, max_length=5000)
    author: Email = Field(description="the consultant's email")
