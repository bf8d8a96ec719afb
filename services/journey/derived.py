"""Ids and lineage of events derived from a cause. Pure."""

from __future__ import annotations

import hashlib
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
            "event_id": uuid5(cause_id, kind),
            "occurred_at": at,
            "subject_id": subject,
            "correlation_id": correlation,
            "causation_id": cause_id,
        }

    return fields


_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (5 << 76)


def uuid5(namespace: uuid.UUID, name: str) -> uuid.UUID:
    """`uuid.uuid5`, bit for bit, without `UUID.__init__`'s argument checks: it runs several
    times per click."""
    digest = hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", int.from_bytes(digest[:16]) & _CLEAR | _SET)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made
