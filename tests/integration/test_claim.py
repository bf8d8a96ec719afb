"""`claim` on SQLite and PostgreSQL: it returns the events of a batch not applied before, in
order, each once, and marks them applied in the caller's transaction (a rollback unmarks them)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import claim
from services.journey.tables import prospects as store
from tests.infra import migrated_engine
from tests.journey.history import click

engine = migrated_engine("journey", store.MIGRATIONS)


async def marked(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = select(func.count()).select_from(store.processed)
        return int((await conn.execute(count)).scalar_one())


async def test_claim_returns_each_new_event_once_in_order_and_marks_it(engine: AsyncEngine) -> None:
    a, b, c = click(2, v="v-a"), click(3, v="v-b"), click(4, v="v-c")
    async with engine.begin() as conn:
        assert await claim(conn, store.processed, [a, b]) == [a, b]
    async with engine.begin() as conn:
        # b again, c twice within the batch: only c, once.
        assert await claim(conn, store.processed, [b, c, a, c]) == [c]
    async with engine.begin() as conn:
        assert await claim(conn, store.processed, [a, b, c]) == []
    assert await marked(engine) == 3


async def test_a_rolled_back_claim_leaves_the_events_to_apply(engine: AsyncEngine) -> None:
    event = click(2, v=f"v-{uuid.uuid4()}")

    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        async with engine.begin() as conn:
            assert await claim(conn, store.processed, [event]) == [event]
            raise Failed
    assert await marked(engine) == 0
    async with engine.begin() as conn:
        assert await claim(conn, store.processed, [event]) == [event]
