"""The journey service's own tables: prospects, visitor-id aliases, its journal (timeline and
outbox), the ids of the events it has applied and the fingerprints of consultants' commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import parse_event
from schemas.envelope import Event
from services.common.db import among, chunks, processed_events_table
from services.common.idempotency import commands_table
from services.common.journal import journal_table, position_table
from services.journey.domain.state import Prospect

MIGRATIONS = Path(__file__).parents[1] / "migrations"
metadata = MetaData()

# The whole state is one JSON document (decoded and encoded in pydantic's Rust core: the load and
# save of a batch's prospects dominate throughput); the columns beside it serve lookups.
prospects = Table(
    "journey_prospects",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("email", String(320), index=True),
    Column("stage", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
    Column("state", Text, nullable=False),
    postgresql_with={"fillfactor": 50, "autovacuum_vacuum_scale_factor": 0.02},
)
STATE = TypeAdapter(Prospect)
generation = Table(
    "journey_generation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

_COLUMNS = ("id", "email", "stage", "points", "last_activity_at", "state")
# One statement for a whole batch: arrays in, rows out (an executemany costs a round of
# parameter handling per row).
_UPSERT = text(
    """
    INSERT INTO journey_prospects (id, email, stage, points, last_activity_at, state)
    SELECT * FROM unnest(
        CAST(:id AS text[]), CAST(:email AS text[]), CAST(:stage AS int[]),
        CAST(:points AS int[]), CAST(:last_activity_at AS timestamptz[]), CAST(:state AS text[]))
    ON CONFLICT (id) DO UPDATE SET email = excluded.email, stage = excluded.stage,
        points = excluded.points, last_activity_at = excluded.last_activity_at,
        state = excluded.state
    """
)
aliases = Table(
    "journey_aliases",
    metadata,
    Column("alias", String(200), primary_key=True),
    Column("prospect_id", String(200), nullable=False, index=True),
)
journal = journal_table(metadata, "journey")
relay_position = position_table(metadata, "journey")
processed = processed_events_table(metadata, "journey")
commands = commands_table(metadata, "journey")


async def resolve(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, str]:
    """Visitor ids that were merged into another prospect, mapped to that prospect's id."""
    found: dict[str, str] = {}
    for chunk in chunks(list(ids)):
        rows = await conn.execute(select(aliases).where(among(conn, aliases.c.alias, chunk)))
        found.update((r.alias, r.prospect_id) for r in rows)
    return found


async def load(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Prospect]:
    found: dict[str, Prospect] = {}
    for chunk in chunks(sorted(set(ids))):
        query = select(prospects.c.state).where(among(conn, prospects.c.id, chunk))
        for row in await conn.execute(query):
            p = _prospect(row._mapping)
            found[p.id] = p
    return found


async def by_email(conn: AsyncConnection, emails: Iterable[str]) -> dict[str, Prospect]:
    found: dict[str, Prospect] = {}
    for chunk in chunks(sorted(set(emails))):
        query = select(prospects.c.state).where(among(conn, prospects.c.email, chunk))
        for row in await conn.execute(query):
            p = _prospect(row._mapping)
            # The elder keeps an email that two prospects briefly shared.
            if p.email and (p.email not in found or p.created_at < found[p.email].created_at):
                found[p.email] = p
    return found


async def save(
    conn: AsyncConnection,
    changed: Sequence[Prospect],
    existing: set[str],
    merged: dict[str, str],
) -> None:
    """Write changed prospects; `merged` maps ids folded away to their survivor."""
    await write(conn, rows(changed), existing)
    await fold_away(conn, merged)


def rows(changed: Sequence[Prospect]) -> list[dict[str, Any]]:
    """The prospects as `write` takes them: the CPU half of saving."""
    return [_row(p) for p in changed]


async def write(conn: AsyncConnection, rows: list[dict[str, Any]], existing: set[str]) -> None:
    """Insert or update prospects' rows; a batch's may be written in several parts."""
    if rows and conn.dialect.name == "postgresql":
        await conn.execute(_UPSERT, {c: [r[c] for r in rows] for c in _COLUMNS})
        rows = []
    new = [r for r in rows if r["id"] not in existing]
    old = [{**r, "pid": r["id"]} for r in rows if r["id"] in existing]
    if new:
        await conn.execute(insert(prospects), new)
    if old:
        values: dict[str, Any] = {k: bindparam(k) for k in old[0] if k not in ("id", "pid")}
        await conn.execute(
            update(prospects).where(prospects.c.id == bindparam("pid")).values(values), old
        )


async def fold_away(conn: AsyncConnection, merged: dict[str, str]) -> None:
    """Drop the prospects merged into another, and point their aliases at the survivor."""
    if merged:
        await conn.execute(delete(prospects).where(prospects.c.id.in_(list(merged))))
        for gone, survivor in merged.items():
            await conn.execute(
                update(aliases).where(aliases.c.prospect_id == gone).values(prospect_id=survivor)
            )
        known = await resolve(conn, merged)
        await conn.execute(
            insert(aliases),
            [{"alias": a, "prospect_id": s} for a, s in merged.items() if a not in known],
        )


async def bump_generation(conn: AsyncConnection) -> int:
    """Count writes to the prospects: a cache that saw the previous count is still whole."""
    done = await conn.execute(
        update(generation)
        .where(generation.c.id == 1)
        .values(value=generation.c.value + 1)
        .returning(generation.c.value)
    )
    value = done.scalar()
    if value is None:
        await conn.execute(insert(generation).values(id=1, value=1))
        return 1
    return int(value)


async def current_generation(conn: AsyncConnection) -> int:
    found = (await conn.execute(select(generation.c.value).where(generation.c.id == 1))).scalar()
    return int(found or 0)


async def timeline(conn: AsyncConnection, prospect_id: str) -> list[Event]:
    """Every event of the prospect and of the visitor ids merged into it, in journal order."""
    ids = [prospect_id, *(await merged_ids(conn, prospect_id))]
    rows = await conn.execute(
        select(journal.c.payload).where(journal.c.subject_id.in_(ids)).order_by(journal.c.seq)
    )
    return [parse_event(r.payload) for r in rows]


async def journaled(conn: AsyncConnection, event_id: uuid.UUID) -> bool:
    found = await conn.execute(select(journal.c.seq).where(journal.c.event_id == str(event_id)))
    return found.first() is not None


async def merged_ids(conn: AsyncConnection, prospect_id: str) -> list[str]:
    rows = await conn.execute(select(aliases.c.alias).where(aliases.c.prospect_id == prospect_id))
    return sorted(r.alias for r in rows)


def _row(p: Prospect) -> dict[str, Any]:
    return {
        "id": p.id,
        "email": p.email,
        "stage": p.stage,
        "points": p.points,
        "last_activity_at": p.last_activity_at,
        "state": STATE.dump_json(p).decode(),
    }


def _prospect(row: Any) -> Prospect:
    return STATE.validate_json(row["state"])
