from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from schemas.journey import ProspectsMergedV1
from services.common.db import claim
from services.projections.models.board import project
from services.projections.models.notes import roadmap_notes
from services.projections.models.playbooks import playbook_counts
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import board as board_store
from services.projections.tables import notes as notes_store
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables import versions


class BoardProjection:
    """Keeps the board's rows up to date with the journey's events. The rows, the ids merged
    away and the processed event ids commit in one transaction, so a redelivered batch changes
    nothing. Without fixed `tables` it writes the active version, looked up in each transaction,
    so it follows a rebuild's switch without a restart."""

    def __init__(self, engine: AsyncEngine, tables: board_store.BoardTables | None = None):
        self.engine, self.tables = engine, tables

    async def record_journey_events(self, events: Sequence[Event]) -> None:
        async with self.engine.begin() as conn:
            # A merge changes two prospects that may sit on different partitions, read by
            # different instances: writers take turns so neither writes back a row the other
            # has just removed. The same lock keeps a rebuild's switch from passing a batch by.
            await versions.lock_board(conn)
            tables = self.tables or await versions.active_board(conn)
            fresh = await claim(conn, tables.processed, events)
            if not fresh:
                return
            touched = {e.subject_id for e in fresh}
            touched |= {e.merged_id for e in fresh if isinstance(e, ProspectsMergedV1)}
            before = await board_store.load(conn, tables, touched)
            await board_store.save(conn, tables, before, project(before, fresh))


class RoadmapNotesProjection:
    """Keeps the consultants' roadmap notes; a note's id is its key, so a redelivery adds none.
    Like every projection here it writes the active version under the read models' lock."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record_planning_events(self, events: Sequence[Event]) -> None:
        async with versions.writing(self.engine) as (conn, tables):
            await notes_store.record_notes(conn, roadmap_notes(events), tables.notes)


class PlaybookStatsProjection:
    """Counts the gated playbooks' views and submissions per variation. The additions and the
    processed event ids commit in one transaction, so a redelivered batch adds nothing."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record_content_events(self, events: Sequence[Event]) -> None:
        async with versions.writing(self.engine) as (conn, tables):
            fresh = await claim(conn, tables.playbooks_processed, events)
            if not fresh:
                return
            await playbook_store.add(conn, playbook_counts(fresh), tables.playbooks)


class AlertFeedProjection:
    """The alert feed from the alerts service's events, into the active version."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record_alert_events(self, events: Sequence[Event]) -> None:
        async with versions.writing(self.engine) as (conn, tables):
            await alert_feed_store.record(conn, events, tables.alerts, tables.alerts_processed)


class TierProjection:
    """Each prospect's tier from the billing service's upgrades, into the active version."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record_billing_events(self, events: Sequence[Event]) -> None:
        async with versions.writing(self.engine) as (conn, tables):
            await tiers_store.record(conn, events, tables.tiers, tables.tiers_processed)
