from __future__ import annotations

import uuid

import pytest

from tests import infra


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return infra.kafka_bootstrap()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return infra.postgres_url()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
