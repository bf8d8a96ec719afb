"""Each read model as a rebuild folds it: the pure projection applied in memory to the events of
its topic, and what changed since the last write stored in a version's tables with the events'
ids, so the live projection finds them processed after the switch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from schemas import topics
from schemas.envelope import Event
from services.common.db import mark_processed
from services.projections.models.alert_feed import AlertRow, feed
from services.projections.models.board import EMPTY, Board, project
from services.projections.models.notes import RoadmapNote, roadmap_notes
from services.projections.models.playbooks import PlaybookCounts, PlaybookKey, playbook_counts
from services.projections.models.tiers import Tier, tiers
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import board as board_store
from services.projections.tables import notes as notes_store
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables.read_models import ReadModels


class Fold(Protocol):
    def apply(self, events: Sequence[Event]) -> None: ...

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        """Store what `apply` changed since the last write, and the applied events' ids."""

    def size(self) -> int:
        """Rows of the model built so far."""


@dataclass
class BoardFold:
    board: Board = EMPTY
    written: Board = EMPTY
    ids: list[uuid.UUID] = field(default_factory=list)

    def apply(self, events: Sequence[Event]) -> None:
        self.board = project(self.board, events)
        self.ids += [e.event_id for e in events]

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        await board_store.save(conn, tables.board, self.written, self.board)
        await mark_processed(conn, tables.board.processed, self.ids)
        self.written, self.ids = self.board, []

    def size(self) -> int:
        return len(self.board.rows)


@dataclass
class AlertFold:
    rows: dict[str, AlertRow] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    ids: list[uuid.UUID] = field(default_factory=list)

    def apply(self, events: Sequence[Event]) -> None:
        after = feed(self.rows, events)
        self.rows.update(after)
        self.changed |= set(after)
        self.ids += [e.event_id for e in events]

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        changed = {k: self.rows[k] for k in sorted(self.changed)}
        await alert_feed_store.save(conn, changed, tables.alerts)
        await mark_processed(conn, tables.alerts_processed, self.ids)
        self.changed, self.ids = set(), []

    def size(self) -> int:
        return len(self.rows)


@dataclass
class TierFold:
    known: dict[str, Tier] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    ids: list[uuid.UUID] = field(default_factory=list)

    def apply(self, events: Sequence[Event]) -> None:
        after = tiers(self.known, events)
        self.known.update(after)
        self.changed |= set(after)
        self.ids += [e.event_id for e in events]

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        changed = {k: self.known[k] for k in sorted(self.changed)}
        await tiers_store.save(conn, changed, tables.tiers)
        await mark_processed(conn, tables.tiers_processed, self.ids)
        self.changed, self.ids = set(), []

    def size(self) -> int:
        return len(self.known)


@dataclass
class PlaybookFold:
    """Counters add up, so what is written is what the events since the last write add."""

    keys: set[PlaybookKey] = field(default_factory=set)
    added: dict[PlaybookKey, PlaybookCounts] = field(default_factory=dict)
    ids: list[uuid.UUID] = field(default_factory=list)

    def apply(self, events: Sequence[Event]) -> None:
        for key, counts in playbook_counts(events).items():
            self.added[key] = self.added.get(key, PlaybookCounts()) + counts
            self.keys.add(key)
        self.ids += [e.event_id for e in events]

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        await playbook_store.add(conn, self.added, tables.playbooks)
        await mark_processed(conn, tables.playbooks_processed, self.ids)
        self.added, self.ids = {}, []

    def size(self) -> int:
        return len(self.keys)


@dataclass
class NoteFold:
    """A note's id is its key: the first event recording it wins, as the live insert's."""

    notes: dict[str, RoadmapNote] = field(default_factory=dict)
    new: list[RoadmapNote] = field(default_factory=list)

    def apply(self, events: Sequence[Event]) -> None:
        for note in roadmap_notes(events):
            if note.note_id not in self.notes:
                self.notes[note.note_id] = note
                self.new.append(note)

    async def write(self, conn: AsyncConnection, tables: ReadModels) -> None:
        await notes_store.record_notes(conn, self.new, tables.notes)
        self.new = []

    def size(self) -> int:
        return len(self.notes)


def other_folds() -> dict[str, Fold]:
    """The read models besides the board, by the topic each is projected from."""
    return {
        topics.ALERTS: AlertFold(),
        topics.BILLING: TierFold(),
        topics.CONTENT: PlaybookFold(),
        topics.PLANNING: NoteFold(),
    }
