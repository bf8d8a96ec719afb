"""Ingest's fingerprint table on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest import store
from tests.infra import migrated_engine

engine = migrated_engine("ingest", store.MIGRATIONS)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def test_an_id_stays_bound_to_its_first_fingerprint(engine: AsyncEngine) -> None:
    assert await store.reused(engine, {"a": "1", "b": "1"}, NOW) == set()
    assert await store.reused(engine, {"a": "1", "b": "2", "c": "3"}, NOW) == {"b"}
    assert await store.reused(engine, {"b": "1", "c": "3"}, NOW) == set()


async def test_a_fingerprint_taken_the_earlier_way_is_the_same_body(engine: AsyncEngine) -> None:
    await store.reused(engine, {"a": "old-1", "b": "old-2"}, NOW)
    earlier = {"a": "old-1", "b": "old-9"}.__getitem__
    assert await store.reused(engine, {"a": "new-1", "b": "new-2"}, NOW, earlier) == {"b"}
    assert await store.reused(engine, {"a": "new-1"}, NOW) == {"a"}  # no earlier way: refused


async def test_pruning_forgets_the_fingerprints_first_seen_before_the_cutoff(
    engine: AsyncEngine,
) -> None:
    await store.reused(engine, {"old": "1"}, NOW - timedelta(days=31))
    await store.reused(engine, {"new": "1"}, NOW - timedelta(days=29))

    assert await store.prune(engine, NOW - timedelta(days=30)) == 1

    async with engine.connect() as conn:
        left = await conn.execute(select(func.count()).select_from(store.fingerprints))
        assert left.scalar_one() == 1
    # Past its retention an id may carry another body; within it, not.
    assert await store.reused(engine, {"old": "2", "new": "2"}, NOW) == {"new"}
