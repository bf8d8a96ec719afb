"""The journey service's tables and handler on SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine, migrate
from services.journey import store
from services.journey.handlers import Journey
from services.journey.rules import DEFAULT_RULES
from tests.contract.logs import clicks
from tests.infra import create_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, unique: str
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'journey.db'}"
    else:
        url = await create_database(request.getfixturevalue("postgres_url"), f"journey_{unique}")
    engine = create_engine(url)
    await migrate(engine, "journey", store.MIGRATIONS)
    yield engine
    await engine.dispose()


async def test_migrations_are_recorded_in_the_services_own_version_table_and_rerun_safely(
    engine: AsyncEngine,
) -> None:
    await migrate(engine, "journey", store.MIGRATIONS)
    async with engine.connect() as conn:
        version = (
            await conn.execute(text("SELECT version_num FROM alembic_version_journey"))
        ).scalar_one()
    assert version == "0001"


async def test_a_redelivered_batch_changes_nothing(engine: AsyncEngine) -> None:
    handle = Journey(engine, DEFAULT_RULES).record_web_events
    first, second = clicks("v-a", 3), clicks("v-b", 2)
    await handle(first + second)
    await handle(first + second)
    await handle([second[0], second[0]])

    async with engine.connect() as conn:
        found = await store.load(conn, ["v-a", "v-b", "v-none"])
    assert {k: p.clicks for k, p in found.items()} == {"v-a": 3, "v-b": 2}
    assert found["v-a"].entry_point is not None
    assert found["v-a"].entry_point.cta_id == first[0].cta.id
    assert found["v-a"].created_at == first[0].occurred_at
    assert found["v-a"].last_activity_at == first[-1].occurred_at
