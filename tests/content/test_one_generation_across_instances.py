"""Two `crm-journey serve content` processes on one PostgreSQL database and Kafka: first gate
requests for a playbook spread over both make one model call between them, and every visitor gets
the copy it wrote; when that one call fails, the other instance answers with the fallback copy
and the failure is recorded once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from schemas import topics
from tests.content import anthropic_stub as modes
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.content.service import MODEL, SECRET, SITE_KEY, Service, content_events
from tests.infra import fresh_database
from tests.processes import crm, poll
from tests.product import in_own_loop
from tests.sessions import signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture(scope="module")
def instances(
    kafka_bootstrap: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Service]]:
    unique = str(time.time_ns())[-10:]
    namespace = f"contenttwo{unique}."
    logs = tmp_path_factory.mktemp("content-two")
    with anthropic_stub() as stub, ExitStack() as running:
        env = {
            "CRM_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CRM_KAFKA_NAMESPACE": namespace,
            "CRM_DATABASE_URL": fresh_database(postgres_url, f"content_two_{unique}"),
            "CRM_SESSION_SECRET": SECRET,
            "CRM_INGEST_API_KEYS": SITE_KEY,
            "CRM_CONTENT_MODEL": MODEL,
            "ANTHROPIC_API_KEY": "sk-stub",
            "ANTHROPIC_BASE_URL": stub.base_url,
        }
        token = signed_in(env["CRM_DATABASE_URL"], SECRET, "sam@example.com")
        yield [
            Service(
                running.enter_context(crm(["serve", "content"], logs / f"content-{i}.log", env)),
                {"Authorization": f"Bearer {token}"},
                {"Authorization": f"Bearer {SITE_KEY}"},
                stub,
                kafka_bootstrap,
                namespace,
            )
            for i in range(2)
        ]


def first_requests(instances: list[Service], playbook: str, n: int) -> list[httpx.Response]:
    """n first gate requests at once, alternately to each instance."""
    with ThreadPoolExecutor(n) as pool:
        return list(
            pool.map(lambda i: instances[i % 2].gate(playbook, f"v-{i}"), range(n)),
        )


def fallbacks_recorded(service: Service, playbook: str) -> int:
    found = in_own_loop(content_events(service.bootstrap, service.namespace + topics.CONTENT))
    return sum(
        1
        for e in found
        if e.type == "playbook_copy.fallback_used.v1" and getattr(e, "playbook_id", "") == playbook
    )


def test_first_requests_on_two_instances_make_one_model_call(instances: list[Service]) -> None:
    stub: Stub = instances[0].stub
    assert instances[0].put("shared").status_code == 200
    stub.mode, stub.delay_s = modes.DELAY, 1.5
    calls = stub.calls

    answers = first_requests(instances, "shared", 10)

    assert [a.status_code for a in answers] == [200] * 10
    assert stub.calls == calls + 1
    assert len({a.json()["variation_id"] for a in answers}) == 1
    assert not any(a.json()["fallback"] for a in answers)


def test_when_the_one_call_fails_both_answer_with_fallback_and_it_is_recorded_once(
    instances: list[Service], tmp_path: Path
) -> None:
    stub: Stub = instances[0].stub
    assert instances[0].put("failing").status_code == 200
    stub.mode, stub.delay_s = modes.OVERLOADED, 1.0
    calls = stub.calls

    answers = first_requests(instances, "failing", 6)

    assert [a.status_code for a in answers] == [200] * 6
    assert all(a.json()["fallback"] for a in answers)
    assert stub.calls == calls + 1
    found = poll(lambda: fallbacks_recorded(instances[0], "failing"), lambda n: n >= 1)
    time.sleep(1)  # a second record, if any, would have come by now
    assert found == fallbacks_recorded(instances[0], "failing") == 1
    stub.mode, stub.delay_s = modes.NORMAL, 0.0
