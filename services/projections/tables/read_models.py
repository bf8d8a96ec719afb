"""One version of every read model the projections service keeps: the board's tables and the
alert feed's, tiers', playbook stats' and roadmap notes' ones. A rebuild fills a whole version
and one pointer switches all of them together. Version 1 is the tables the migrations made,
under their first names; version N's tables carry `_vN` (the board's, `projections_board_vN`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, Table

from services.common.db import processed_events_table
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import board as board_store
from services.projections.tables import notes as notes_store
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import tiers as tiers_store


@dataclass(frozen=True)
class ReadModels:
    board: board_store.BoardTables
    alerts: Table
    alerts_processed: Table
    tiers: Table
    tiers_processed: Table
    playbooks: Table
    playbooks_processed: Table
    # A note's id is its key: a redelivered note is stored once, no ledger needed.
    notes: Table

    def roles(self) -> dict[str, Table]:
        """Every table of the version by what it holds, the same roles in every version."""
        board = self.board
        return {
            "board": board.rows,
            "board_merged": board.merged,
            "board_processed": board.processed,
            "board_transitions": board.transitions,
            "alerts": self.alerts,
            "alerts_processed": self.alerts_processed,
            "tiers": self.tiers,
            "tiers_processed": self.tiers_processed,
            "playbooks": self.playbooks,
            "playbooks_processed": self.playbooks_processed,
            "notes": self.notes,
        }

    def tables(self) -> list[Table]:
        return list(self.roles().values())


V1 = ReadModels(
    board_store.BOARD,
    alert_feed_store.FEED,
    alert_feed_store.PROCESSED,
    tiers_store.TIERS,
    tiers_store.PROCESSED,
    playbook_store.STATS,
    playbook_store.PROCESSED,
    notes_store.ROADMAP_NOTES,
)


def read_models(number: int, metadata: MetaData) -> ReadModels:
    """Version `number`'s tables described in `metadata` (a fresh one: version 1's names are
    also described in the service's own)."""

    def named(first: str) -> str:
        return first if number == 1 else f"{first}_v{number}"

    alerts, tiers, playbooks = (
        named(alert_feed_store.ALERT_FEED),
        named(tiers_store.TIERS.name),
        named(playbook_store.PLAYBOOK_STATS),
    )
    return ReadModels(
        board_store.board_tables(f"{board_store.BOARD_PREFIX}{number}", metadata),
        alert_feed_store.feed_table(alerts, metadata),
        processed_events_table(metadata, alerts),
        tiers_store.tiers_table(tiers, metadata),
        processed_events_table(metadata, tiers),
        playbook_store.stats_table(playbooks, metadata),
        processed_events_table(metadata, playbooks),
        notes_store.notes_table(named(notes_store.ROADMAP_NOTES.name), metadata),
    )
