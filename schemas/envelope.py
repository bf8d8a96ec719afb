"""The envelope every event shares, and the value types events are built from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.stages import DEFAULT_STAGE_NAMES, FIRST_STAGE, LAST_STAGE

SubjectId = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Stage = Annotated[
    int,
    Field(
        ge=FIRST_STAGE,
        le=LAST_STAGE,
        description=f"Journey stage, {FIRST_STAGE} ({DEFAULT_STAGE_NAMES[0]}) "
        f"to {LAST_STAGE} ({DEFAULT_STAGE_NAMES[-1]})",
    ),
]
BasePoints = Annotated[int, Field(ge=1, le=50, description="Base points a CTA awards, 1-50")]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


class Frozen(BaseModel):
    """Base of every catalogue model: immutable, and tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(Frozen):
    """The envelope. `subject_id` is the Kafka key (the prospect), so one prospect's events stay
    in order. `type` carries the version (`cta.clicked.v1`); a breaking change is a new class."""

    event_id: uuid.UUID
    type: str
    occurred_at: AwareDatetime
    subject_id: SubjectId
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])

    def caused(self, kind: str) -> uuid.UUID:
        """A deterministic id for an event derived from this one, so reprocessing this event
        yields the same output ids and consumers can drop duplicates."""
        return derived_id(self.event_id, kind)

    def lineage(self) -> dict[str, uuid.UUID]:
        """Correlation and causation for an event caused by this one."""
        return {
            "correlation_id": self.correlation_id or self.event_id,
            "causation_id": self.event_id,
        }


def derived_id(cause: uuid.UUID, kind: str) -> uuid.UUID:
    return uuid.uuid5(cause, kind)


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    return value
