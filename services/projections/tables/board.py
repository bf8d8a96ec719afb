"""The projections service's own tables. A read model is versioned: its rows, the ids merged away
and the ids of the events applied carry the version in their names, so a rebuild replays the log
into fresh tables beside the ones being read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from schemas.stages import STAGES
from services.common.db import among, as_aware, as_utc, chunks, processed_events_table
from services.projections.models.board import Board, BoardRow, Period
from services.projections.tables.transitions import (
    peak_stage,
    replace_transitions,
    transitions_table,
)

MIGRATIONS = Path(__file__).parents[1] / "migrations"
BOARD_PREFIX = "projections_board_v"
BOARD_V1 = f"{BOARD_PREFIX}1"
CHUNK = 5000
ROW_FIELDS = tuple(f.name for f in fields(BoardRow))
_TIMES = ("created_at", "entered_stage_at", "last_activity_at", "entry_captured_at")


@dataclass(frozen=True)
class BoardTables:
    rows: Table
    merged: Table
    processed: Table
    transitions: Table


def board_tables(name: str, metadata: MetaData) -> BoardTables:
    rows = Table(
        name,
        metadata,
        Column("prospect_id", String(200), primary_key=True),
        Column("stage", Integer, nullable=False),
        Column("points", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("entered_stage_at", DateTime(timezone=True), nullable=False),
        Column("last_activity_at", DateTime(timezone=True), nullable=False),
        Column("email", String(320)),
        Column("imported", Boolean, nullable=False),
        Column("clicks", Integer, nullable=False),
        Column("entry_kind", String(20)),
        Column("entry_cta_id", String(200)),
        Column("entry_cta_label", String(500)),
        Column("entry_form_id", String(200)),
        Column("entry_page", String(2000)),
        Column("utm_source", String(200)),
        Column("utm_medium", String(200)),
        Column("utm_campaign", String(200)),
        Column("entry_captured_at", DateTime(timezone=True)),
        Column("stage_periods", JSON),
        # The highest stage ever reached, for conversion; derived from the row when it is saved.
        Column("peak_stage", Integer),
        Index(f"ix_{name}_last_activity", "last_activity_at", "prospect_id"),
        Index(f"ix_{name}_stage_last_activity", "stage", "last_activity_at", "prospect_id"),
        Index(f"ix_{name}_entry_cta_id", "entry_cta_id"),
        Index(f"ix_{name}_utm_campaign", "utm_campaign"),
        # Covers the analytics cohort query (distribution, drop-off, overall conversion).
        Index(f"ix_{name}_cohort", "created_at", "stage", "last_activity_at", "peak_stage"),
    )
    for column in ("prospect_id", "email"):
        # The search box matches anywhere in the id or email: trigram indexes on PostgreSQL
        # (pg_trgm, created by migration 0007) keep that off a scan of the whole board.
        Index(
            f"ix_{name}_{column}_trgm",
            func.lower(rows.c[column]).label(column),
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")
    merged = Table(
        f"{name}_merged",
        metadata,
        Column("prospect_id", String(200), primary_key=True),
        Column("merged_into", String(200), nullable=False),
    )
    return BoardTables(
        rows, merged, processed_events_table(metadata, name), transitions_table(name, metadata)
    )


metadata = MetaData()
BOARD = board_tables(BOARD_V1, metadata)


@dataclass(frozen=True)
class Filters:
    stage: int | None = None
    entry_point: str | None = None
    utm_campaign: str | None = None
    q: str | None = None


async def load(conn: AsyncConnection, tables: BoardTables, ids: Iterable[str]) -> Board:
    """The part of the board these prospect ids touch."""
    rows: dict[str, BoardRow] = {}
    merged: dict[str, str] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(tables.rows).where(among(conn, tables.rows.c.prospect_id, chunk))
        rows.update((r.prospect_id, _row(r)) for r in await conn.execute(query))
        query = select(tables.merged).where(among(conn, tables.merged.c.prospect_id, chunk))
        merged.update((r.prospect_id, r.merged_into) for r in await conn.execute(query))
    return Board(rows, merged)


async def save(conn: AsyncConnection, tables: BoardTables, before: Board, after: Board) -> None:
    changed = [r for pid, r in after.rows.items() if before.rows.get(pid) != r]
    gone = sorted(set(before.rows) - set(after.rows))
    tombstones = [
        {"prospect_id": pid, "merged_into": into}
        for pid, into in after.merged.items()
        if before.merged.get(pid) != into
    ]
    for chunk in chunks(gone):
        await conn.execute(delete(tables.rows).where(among(conn, tables.rows.c.prospect_id, chunk)))
    await _upsert(conn, tables.rows, [_values(r) for r in changed])
    await _upsert(conn, tables.merged, tombstones)
    moved = [
        r
        for r in changed
        if (old := before.rows.get(r.prospect_id)) is None or old.stage_periods != r.stage_periods
    ]
    await replace_transitions(conn, tables.transitions, gone, moved)


async def all_rows(conn: AsyncConnection, tables: BoardTables = BOARD) -> dict[str, BoardRow]:
    return {r.prospect_id: _row(r) for r in await conn.execute(select(tables.rows))}


async def page(
    conn: AsyncConnection,
    filters: Filters,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
    tables: BoardTables = BOARD,
) -> list[BoardRow]:
    """Most recent activity first; `after` is the (last_activity_at, id) of the last row seen."""
    t = tables.rows
    query = _filtered(select(t), t, filters)
    if after is not None:
        at, last = as_utc(after[0]), after[1]
        query = query.where(
            or_(
                t.c.last_activity_at < at,
                and_(t.c.last_activity_at == at, t.c.prospect_id < last),
            )
        )
    query = query.order_by(t.c.last_activity_at.desc(), t.c.prospect_id.desc()).limit(limit)
    return [_row(r) for r in await conn.execute(query)]


async def stage_counts(
    conn: AsyncConnection, filters: Filters, tables: BoardTables = BOARD
) -> dict[int, int]:
    """Rows per stage under every filter but the stage, so each stage shows what it holds."""
    t = tables.rows
    everywhere = Filters(None, filters.entry_point, filters.utm_campaign, filters.q)
    query = _filtered(select(t.c.stage, func.count()), t, everywhere).group_by(t.c.stage)
    found = {stage: int(n) for stage, n in await conn.execute(query)}
    return {stage: found.get(stage, 0) for stage in STAGES}


async def stage_rows(
    conn: AsyncConnection, stages: Sequence[int], limit: int = 200, tables: BoardTables = BOARD
) -> list[BoardRow]:
    """Rows in these stages, latest stage first, then most recent activity first."""
    t = tables.rows
    query = (
        select(t)
        .where(t.c.stage.in_(list(stages)))
        .order_by(t.c.stage.desc(), t.c.last_activity_at.desc(), t.c.prospect_id.desc())
        .limit(limit)
    )
    return [_row(r) for r in await conn.execute(query)]


async def one_row(
    conn: AsyncConnection, prospect_id: str, tables: BoardTables = BOARD
) -> BoardRow | None:
    found = (
        await conn.execute(select(tables.rows).where(tables.rows.c.prospect_id == prospect_id))
    ).first()
    return _row(found) if found is not None else None


def _filtered(query: Select[Any], t: Table, filters: Filters) -> Select[Any]:
    if filters.stage is not None:
        query = query.where(t.c.stage == filters.stage)
    if filters.entry_point is not None:
        query = query.where(t.c.entry_cta_id == filters.entry_point)
    if filters.utm_campaign is not None:
        query = query.where(t.c.utm_campaign == filters.utm_campaign)
    if filters.q:
        needle = filters.q.strip().lower()
        query = query.where(
            or_(
                func.lower(t.c.prospect_id).contains(needle, autoescape=True),
                func.lower(t.c.email).contains(needle, autoescape=True),
            )
        )
    return query


async def _upsert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    key = table.primary_key.columns.keys()[0]
    for start in range(0, len(rows), CHUNK):
        insert = dialect.insert(table)
        changes = {c: insert.excluded[c] for c in rows[0] if c != key}
        statement = insert.on_conflict_do_update(index_elements=[key], set_=changes)
        await conn.execute(statement, list(rows[start : start + CHUNK]))


def _values(row: BoardRow) -> dict[str, Any]:
    # Shallow: `asdict` would deep-copy every period tuple, on the live path and in a replay.
    values = {name: getattr(row, name) for name in ROW_FIELDS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = as_utc(values[name])
    values["stage_periods"] = [
        [stage, as_utc(entered).isoformat(), as_utc(left).isoformat() if left else None]
        for stage, entered, left in row.stage_periods
    ]
    values["peak_stage"] = peak_stage(row.stage, row.stage_periods)
    return values


def _row(record: Any) -> BoardRow:
    values = {name: getattr(record, name) for name in ROW_FIELDS}
    for name in _TIMES:
        if values[name] is not None:
            values[name] = as_aware(values[name])
    # Rows written before the column existed have none; a rebuild fills them.
    values["stage_periods"] = tuple(_period(p) for p in values["stage_periods"] or ())
    return BoardRow(**values)


def _period(stored: list[Any]) -> Period:
    stage, entered, left = stored
    return (
        int(stage),
        as_aware(datetime.fromisoformat(entered)),
        as_aware(datetime.fromisoformat(left)) if left else None,
    )
