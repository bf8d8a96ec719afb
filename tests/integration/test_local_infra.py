"""The local real infrastructure (deploy/local/infra.sh) starts and every part answers.

The parts are left running on purpose: other integration tests share them.
"""

from __future__ import annotations

import asyncio
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

INFRA = Path(__file__).resolve().parents[2] / "deploy" / "local" / "infra.sh"
EXPECTED_KEYS = {"KAFKA_BOOTSTRAP_SERVERS", "CRM_TEST_DATABASE_URL", "STRIPE_API_BASE"}


def _infra(*args: str) -> subprocess.CompletedProcess[str]:
    # A cold first run installs Kafka's jars and builds stripe-mock (tens of seconds).
    return subprocess.run(
        [str(INFRA), *args], capture_output=True, text=True, timeout=900, check=False
    )


def _up() -> dict[str, str]:
    result = _infra("up")
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


@pytest.fixture(scope="module")
def infra() -> dict[str, str]:
    return _up()


def test_up_prints_every_address_and_is_idempotent(infra: dict[str, str]) -> None:
    assert set(infra) == EXPECTED_KEYS
    assert _up() == infra


def test_kafka_answers(infra: dict[str, str]) -> None:
    bootstrap = infra["KAFKA_BOOTSTRAP_SERVERS"]

    async def describe() -> dict:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return await admin.describe_cluster()
        finally:
            await admin.close()

    cluster = asyncio.run(describe())
    host, port = bootstrap.rsplit(":", 1)
    assert [(b["host"], b["port"]) for b in cluster["brokers"]] == [(host, int(port))]


def test_postgres_answers(infra: dict[str, str]) -> None:
    async def query() -> tuple[str, str]:
        conn = await asyncpg.connect(infra["CRM_TEST_DATABASE_URL"])
        try:
            row = await conn.fetchrow("SELECT version(), current_database()")
            return row[0], row[1]
        finally:
            await conn.close()

    version, database = asyncio.run(query())
    assert version.startswith("PostgreSQL ")
    assert database == "crm"


def test_stripe_mock_answers(infra: dict[str, str]) -> None:
    url = f"{infra['STRIPE_API_BASE']}/v1/customers"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as error:  # 401 without an API key is still an answer
        status = error.code
    assert 200 <= status < 600


def test_status_reports_every_part_running(infra: dict[str, str]) -> None:
    result = _infra("status")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["kafka", "postgres", "stripe-mock"]
    assert all(": running " in line for line in lines), lines
