"""The projections service's database, migrated, on SQLite and on the test PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine, migrate
from services.projections.tables import board as board_store
from tests.infra import create_database


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'projections.db'}")
    await migrate(engine, "projections", board_store.MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres(postgres_url: str, unique: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await create_database(postgres_url, f"projections_{unique}"))
    await migrate(engine, "projections", board_store.MIGRATIONS)
    yield engine
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def either_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """A migrated projections database, once on SQLite and once on PostgreSQL."""
    if request.param == "postgres":
        server, unique = request.getfixturevalue("postgres_url"), request.getfixturevalue("unique")
        url = await create_database(server, f"analytics_{unique}")
    else:
        url = f"sqlite:///{tmp_path / 'analytics.db'}"
    engine = create_engine(url)
    await migrate(engine, "projections", board_store.MIGRATIONS)
    yield engine
    await engine.dispose()
