"""Ingest's one table: the fingerprint of each event a producer sent with its own `event_id`, so
that the id reused for another body is refused instead of silently dropped downstream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, delete, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.db import among, as_utc

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

fingerprints = Table(
    "ingest_event_fingerprints",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False, index=True),
)

# One statement for a batch, arrays in: the ids inserted come back, the others were known.
_BIND = text(
    """
    INSERT INTO ingest_event_fingerprints (event_id, fingerprint, first_seen_at)
    SELECT unnest(CAST(:ids AS text[])), unnest(CAST(:prints AS text[])), :at
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    """
)


async def reused(
    engine: AsyncEngine,
    prints: Mapping[str, str],
    now: datetime,
    earlier: Callable[[str], str] | None = None,
) -> set[str]:
    """Bind each event id to its fingerprint unless it is bound already; the ids bound to
    another fingerprint. A concurrent first use of an id (another instance) waits for that one
    to commit, then is compared with it: the first body to commit wins. `earlier(id)` is the
    fingerprint the same body had under an earlier way of taking it, also accepted (a retry
    across an upgrade is not a reuse)."""
    if not prints:
        return set()
    ids = list(prints)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        inserted = await _bind(conn, ids, [prints[i] for i in ids], as_utc(now))
        known = [i for i in ids if i not in inserted]
        if not known:
            return set()
        query = select(fingerprints.c.event_id, fingerprints.c.fingerprint).where(
            among(conn, fingerprints.c.event_id, known)
        )
        rows = await conn.execute(query)
        # An id pruned between the two statements is not refused: it is past its retention.
        return {
            r.event_id
            for r in rows
            if r.fingerprint != prints[r.event_id]
            and (earlier is None or r.fingerprint != earlier(r.event_id))
        }


async def _bind(conn: AsyncConnection, ids: list[str], prints: list[str], at: datetime) -> set[str]:
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(_BIND, {"ids": ids, "prints": prints, "at": at})
    else:
        values = [
            {"event_id": i, "fingerprint": p, "first_seen_at": at}
            for i, p in zip(ids, prints, strict=True)
        ]
        statement = (
            sqlite.insert(fingerprints)
            .values(values)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(fingerprints.c.event_id)
        )
        rows = await conn.execute(statement)
    return {r[0] for r in rows}


async def prune(engine: AsyncEngine, before: datetime) -> int:
    """Forget the fingerprints first seen before `before`; how many were forgotten."""
    async with engine.begin() as conn:
        done = await conn.execute(
            delete(fingerprints).where(fingerprints.c.first_seen_at < as_utc(before))
        )
    return int(done.rowcount or 0)
