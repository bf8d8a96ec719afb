"""Roadmap notes, the write side: which prospect ids a note may be written for, learned from the
journey's facts, and the note's event. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import Event
from schemas.journey import ProspectCreatedV1, ProspectsMergedV1
from schemas.planning import RoadmapNoteRecordedV1

LEARNED_FROM = (ProspectCreatedV1, ProspectsMergedV1)


@dataclass(frozen=True)
class Prospect:
    id: str
    merged_into: str | None = None  # the survivor it goes by now, after a merge


@dataclass(frozen=True)
class Learned:
    created: tuple[str, ...]
    merges: tuple[tuple[str, str], ...]  # (merged away, survivor), in log order


@dataclass(frozen=True)
class WriteNote:
    command_id: uuid.UUID
    prospect_id: str
    text: str
    author: str
    at: datetime


class Refused(Exception):
    pass


class UnknownProspect(Refused):
    pass


class MergedAway(Refused):
    def __init__(self, prospect_id: str, survivor: str):
        super().__init__(
            f"prospect {prospect_id!r} was merged into {survivor!r}: write the note there"
        )
        self.survivor = survivor


def learn(events: Iterable[Event]) -> Learned:
    created = []
    merges = []
    for e in events:
        if isinstance(e, ProspectCreatedV1):
            created.append(e.subject_id)
        elif isinstance(e, ProspectsMergedV1):
            merges.append((e.merged_id, e.subject_id))
    return Learned(tuple(created), tuple(merges))


def note_event_id(command_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(command_id, "roadmap_note.recorded")


def decide_note(prospect: Prospect | None, command: WriteNote) -> RoadmapNoteRecordedV1:
    """Raises UnknownProspect for an id the journey never created, MergedAway for one it
    merged into another."""
    if prospect is None:
        raise UnknownProspect(f"no prospect {command.prospect_id!r} on the board")
    if prospect.merged_into is not None:
        raise MergedAway(prospect.id, prospect.merged_into)
    return RoadmapNoteRecordedV1(
        event_id=note_event_id(command.command_id),
        occurred_at=command.at,
        subject_id=prospect.id,
        note_id=uuid.uuid5(command.command_id, "note"),
        text=command.text,
        author=command.author,
    )
