from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import infra
from tests.product import Product, running_product


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return infra.kafka_bootstrap()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return infra.postgres_url()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    yield from running_product(tmp_path_factory)
