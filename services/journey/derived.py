"""Ids and lineage of events derived from a cause. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from schemas.envelope import Event


def derived(
    subject: str, cause_id: uuid.UUID, at: datetime, cause: Event | None
) -> Callable[[str], dict[str, Any]]:
    """Envelope fields for events derived from `cause_id`: the id of each is uuid5 of the cause
    and its kind, so reprocessing the cause gives the same ids; correlation follows the cause."""
    correlation = (cause.correlation_id or cause.event_id) if cause else cause_id

    def fields(kind: str) -> dict[str, Any]:
        return {
            "event_id": uuid.uuid5(cause_id, kind),
            "occurred_at": at,
            "subject_id": subject,
            "correlation_id": correlation,
            "causation_id": cause_id,
        }

    return fields
