"""The journey service's tables and handler on SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import migrate
from services.journey.domain.rules import DEFAULT_RULES
from services.journey.handlers import Journey
from services.journey.tables import prospects as store
from tests.contract.logs import clicks
from tests.infra import migrated_engine

engine = migrated_engine("journey", store.MIGRATIONS)


async def test_migrations_are_recorded_in_the_services_own_version_table_and_rerun_safely(
    engine: AsyncEngine,
) -> None:
    await migrate(engine, "journey", store.MIGRATIONS)
    async with engine.connect() as conn:
        version = (
            await conn.execute(text("SELECT version_num FROM alembic_version_journey"))
        ).scalar_one()
    assert version == "0002"  # the newest revision


async def test_a_redelivered_batch_changes_nothing(engine: AsyncEngine) -> None:
    handle = Journey(engine, DEFAULT_RULES).record_web_events
    first, second, third = clicks("v-a", 3), clicks("v-b", 2), clicks("v-c", 2)
    await handle(first + second)
    journaled = await journal_rows(engine)
    await handle(first + second)
    await handle([second[0], second[0]])
    assert await journal_rows(engine) == journaled
    # Partly applied before: the rest is applied, once.
    await handle([first[1], *third, second[1]])
    await handle([*third, third[0]])
    fourth = clicks("v-d", 1)
    await handle([fourth[0], fourth[0]])  # new, twice in one batch: applied once

    async with engine.connect() as conn:
        found = await store.load(conn, ["v-a", "v-b", "v-c", "v-d", "v-none"])
    assert {k: p.clicks for k, p in found.items()} == {"v-a": 3, "v-b": 2, "v-c": 2, "v-d": 1}
    assert found["v-a"].entry_point is not None
    assert found["v-a"].entry_point.cta_id == first[0].cta.id
    assert found["v-a"].created_at == first[0].occurred_at
    assert found["v-a"].last_activity_at == first[-1].occurred_at


async def journal_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(store.journal))).scalar_one()
        )
