"""`crm-journey serve content` as a child process on real Kafka and a fresh PostgreSQL database
(one per test module), its Anthropic client pointed at the local stub."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.content import anthropic_stub as modes
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.content.service import MODEL, SECRET, SITE_KEY, Service
from tests.infra import fresh_database
from tests.processes import crm
from tests.sessions import signed_in


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    unique = str(time.time_ns())[-10:]
    namespace = f"content{unique}."
    with anthropic_stub() as stub:
        env = {
            "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CRM_KAFKA_NAMESPACE": namespace,
            "CRM_DATABASE_URL": fresh_database(postgres_url, f"content_it_{unique}"),
            "CRM_SESSION_SECRET": SECRET,
            "CRM_INGEST_API_KEYS": SITE_KEY,
            "CRM_CONTENT_MODEL": MODEL,
            "ANTHROPIC_API_KEY": "sk-stub",
            "ANTHROPIC_BASE_URL": stub.base_url,
        }
        token = signed_in(env["CRM_DATABASE_URL"], SECRET, "sam@example.com")
        log = tmp_path_factory.mktemp("content") / "content.log"
        with crm(["serve", "content"], log, env) as base:
            yield Service(
                base,
                {"Authorization": f"Bearer {token}"},
                {"Authorization": f"Bearer {SITE_KEY}"},
                stub,
                kafka_bootstrap,
                namespace,
            )


@pytest.fixture
def stub(service: Service) -> Iterator[Stub]:
    service.stub.mode, service.stub.delay_s = modes.NORMAL, 0.0
    yield service.stub
    service.stub.mode = modes.NORMAL
