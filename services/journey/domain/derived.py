"""Ids and lineage of events derived from a cause. Pure."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.envelope import Event

M = TypeVar("M", bound=BaseModel)


def derived(
    subject: str, cause_id: uuid.UUID, at: datetime, cause: Event | None
) -> Callable[[str], dict[str, Any]]:
    """Envelope fields for events derived from `cause_id`: the id of each is uuid5 of the cause
    and its kind, so reprocessing the cause gives the same ids; correlation follows the cause."""
    correlation = (cause.correlation_id or cause.event_id) if cause else cause_id
    namespace = cause_id.bytes  # a property computed on every read: once per cause

    def fields(kind: str) -> dict[str, Any]:
        return {
            "event_id": _uuid5(namespace, kind),
            "occurred_at": at,
            "subject_id": subject,
            "correlation_id": correlation,
            "causation_id": cause_id,
        }

    return fields


# Looked up once: module attributes and, above all, the enum member cost a third of the call.
_sha1 = hashlib.sha1
_new, _set, _from_bytes = object.__new__, object.__setattr__, int.from_bytes
_UUID, _UNKNOWN = uuid.UUID, uuid.SafeUUID.unknown
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (5 << 76)


def uuid5(namespace: uuid.UUID, name: str) -> uuid.UUID:
    """`uuid.uuid5`, bit for bit, without `UUID.__init__`'s argument checks: it runs several
    times per click."""
    return _uuid5(namespace.bytes, name)


def _uuid5(namespace: bytes, name: str) -> uuid.UUID:
    made = _new(_UUID)
    digest = _sha1(namespace + name.encode(), usedforsecurity=False).digest()
    _set(made, "int", _from_bytes(digest[:16]) & _CLEAR | _SET)
    _set(made, "is_safe", _UNKNOWN)
    return made


_FIELDS: dict[type[BaseModel], tuple[dict[str, Any], frozenset[str]]] = {}


def built(cls: type[M], head: dict[str, Any], **values: Any) -> M:
    """`cls(**head, **values)` without validating again what the rules took from validated
    events and rules (it was 7 % of the journey's CPU; pydantic's `model_construct` is slower
    than validating). The same model: fields in declaration order, defaults filled in, the
    given ones marked as set. tests/journey/test_fast_paths.py checks that every event the
    rules decide is what validation makes of it."""
    defaults, required = _FIELDS.get(cls) or _fields(cls)
    given = head  # a fresh dict from `derived`'s fields(): taken over, not copied
    given.update(values)
    if not required <= given.keys():
        raise TypeError(f"{cls.__name__} needs {sorted(required - given.keys())}")
    made = cls.__new__(cls)
    _set(made, "__dict__", {**defaults, **given})
    _set(made, "__pydantic_fields_set__", set(given))
    _set(made, "__pydantic_extra__", None)
    _set(made, "__pydantic_private__", None)
    return made


def _fields(cls: type[BaseModel]) -> tuple[dict[str, Any], frozenset[str]]:
    fields = cls.model_fields
    defaults = {n: None if f.is_required() else f.get_default() for n, f in fields.items()}
    found = _FIELDS[cls] = (defaults, frozenset(n for n, f in fields.items() if f.is_required()))
    return found
