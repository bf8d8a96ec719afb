"""How tests reach the real parts: an address from the environment, else the local launchers in
deploy/local, else testcontainers when a Docker engine answers. A part that cannot be had is a
test failure, never a skip."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import create_engine, migrate

ROOT = Path(__file__).resolve().parents[1]


def _launch(part: str) -> str | None:
    script = ROOT / "deploy" / "local" / f"{part}.sh"
    if not script.exists():
        return None
    done = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{script} start failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
        return True
    except Exception:
        return False


def kafka_bootstrap() -> str:
    if address := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return address
    if address := _launch("kafka"):
        return address
    if _docker_answers():
        from testcontainers.community.kafka import KafkaContainer

        container = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft()
        container.start()
        return str(container.get_bootstrap_server())
    pytest.fail("no Kafka: set KAFKA_BOOTSTRAP_SERVERS, or let deploy/local/kafka.sh start one")


def postgres_url() -> str:
    if url := os.environ.get("CRM_TEST_DATABASE_URL"):
        return url
    if url := _launch("postgres"):
        return url
    if _docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer("postgres:16", driver=None)
        container.start()
        return str(container.get_connection_url())
    pytest.fail(
        "no PostgreSQL: set CRM_TEST_DATABASE_URL, or let deploy/local/postgres.sh start one"
    )


def stripe_api_base() -> str:
    if base := os.environ.get("STRIPE_API_BASE"):
        return base
    if base := _launch("stripe-mock"):
        return base
    pytest.fail("no stripe-mock: set STRIPE_API_BASE, or let deploy/local/stripe-mock.sh start one")


def fresh_database(server_url: str, name: str) -> str:
    """A new, empty database on the test PostgreSQL server; returns its URL."""
    import asyncio

    return asyncio.run(create_database(server_url, name))


async def create_database(server_url: str, name: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    conn = await asyncpg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


BOTH = ["sqlite", "postgresql"]


@asynccontextmanager
async def service_database(
    request: pytest.FixtureRequest, tmp_path: Path, name: str, service: str, migrations: Path
) -> AsyncIterator[AsyncEngine]:
    """A service's database, migrated: a SQLite file under tmp_path, or a fresh PostgreSQL
    database called `name`, as the fixture's param (one of BOTH) says."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / f'{service}.db'}"
    else:
        url = await create_database(request.getfixturevalue("postgres_url"), name)
    engine = create_engine(url)
    try:
        await migrate(engine, service, migrations)
        yield engine
    finally:
        await engine.dispose()


def migrated_engine(service: str, migrations: Path) -> Any:
    """A fixture named `engine`: the service's migrated database, once on SQLite and once on
    PostgreSQL. In a test module: `engine = migrated_engine("journey", store.MIGRATIONS)`."""

    @pytest.fixture(params=BOTH)
    async def engine(
        request: pytest.FixtureRequest, tmp_path: Path, unique: str
    ) -> AsyncIterator[AsyncEngine]:
        name = f"{service}_{unique}"
        async with service_database(request, tmp_path, name, service, migrations) as engine:
            yield engine

    return engine
