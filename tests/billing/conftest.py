"""`crm-journey serve billing` as a child process on real Kafka and a fresh PostgreSQL database,
its Stripe client pointed at stripe-mock."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.billing.service import SITE_KEY, Service
from tests.infra import fresh_database
from tests.processes import crm, free_port
from tests.stripe_signing import WEBHOOK_SECRET


def billing_env(kafka: str, database_url: str, namespace: str, stripe_base: str) -> dict[str, str]:
    return {
        "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "CRM_KAFKA_NAMESPACE": namespace,
        "CRM_DATABASE_URL": database_url,
        "CRM_SESSION_SECRET": "billing-secret",
        "CRM_INGEST_API_KEYS": SITE_KEY,
        "STRIPE_API_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_base,
        "CRM_BILLING_SUCCESS_URL": "https://site.example/welcome",
    }


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str,
    postgres_url: str,
    stripe_api_base: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    unique = str(time.time_ns())[-10:]
    namespace = f"billing{unique}."
    database = fresh_database(postgres_url, f"billing_it_{unique}")
    env = billing_env(kafka_bootstrap, database, namespace, stripe_api_base)
    log = tmp_path_factory.mktemp("billing") / "billing.log"
    with crm(["serve", "billing"], log, env) as base:
        yield Service(base, database, kafka_bootstrap, namespace, log)


@pytest.fixture
def stripe_down(
    kafka_bootstrap: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service with its Stripe API base on a port nothing listens on."""
    unique = str(time.time_ns())[-10:]
    namespace = f"billingdown{unique}."
    database = fresh_database(postgres_url, f"billing_down_{unique}")
    closed = f"http://127.0.0.1:{free_port()}"
    env = billing_env(kafka_bootstrap, database, namespace, closed)
    log = tmp_path_factory.mktemp("billing-down") / "billing.log"
    with crm(["serve", "billing"], log, env) as base:
        yield Service(base, database, kafka_bootstrap, namespace, log)
