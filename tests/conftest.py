from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import infra
from tests.product import Product, running_product, running_real_product


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return infra.kafka_bootstrap()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return infra.postgres_url()


@pytest.fixture(scope="session")
def stripe_api_base() -> str:
    """stripe-mock: the one the environment names (STRIPE_API_BASE), else one started here."""
    return infra.stripe_api_base()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def embedded_product(
    tmp_path_factory: pytest.TempPathFactory, stripe_api_base: str
) -> Iterator[Product]:
    """`crm-journey run`, as `make run` starts it: embedded event log and SQLite; Stripe is
    stripe-mock."""
    yield from running_product(tmp_path_factory, stripe_api_base)


@pytest.fixture(scope="session")
def product(embedded_product: Product) -> Product:
    """The embedded product, unless a directory's conftest says otherwise (tests/e2e does)."""
    return embedded_product


@pytest.fixture(scope="session")
def real_product(
    tmp_path_factory: pytest.TempPathFactory,
    kafka_bootstrap: str,
    postgres_url: str,
    stripe_api_base: str,
) -> Iterator[Product]:
    """`crm-journey serve all`: every service in one process on real Kafka and PostgreSQL,
    Stripe on stripe-mock."""
    yield from running_real_product(
        tmp_path_factory, kafka_bootstrap, postgres_url, stripe_api_base
    )
