"""`crm-journey serve content` as a child process on real Kafka and a fresh PostgreSQL database,
its Anthropic client pointed at the local stub: metadata, the gate's generated copy, the cache,
its deletion, the fallbacks, and the facts on `crm.content`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import topics
from schemas.catalogue import parse_event
from schemas.envelope import Event
from tests.content import anthropic_stub as modes
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.infra import fresh_database
from tests.processes import crm, poll
from tests.product import in_own_loop
from tests.sessions import signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SECRET = "content-secret"
SITE_KEY = "site-key-for-gates"
MODEL = "claude-stub-model"


@dataclass
class Service:
    base: str
    consultant: dict[str, str]
    site: dict[str, str]
    stub: Stub
    bootstrap: str
    namespace: str

    def put(self, playbook: str, **changes: Any) -> httpx.Response:
        body = {
            "title": "Selling without pushing",
            "tagline": "Conversations that close",
            "domain_tags": ["sales", "selling"],
            "tone": "warm, direct",
            "body": "Selling starts with a question.\n\nOur office moved in spring.",
            "fallback": {"header": f"Static {playbook}", "paragraphs": ["Get the playbook."]},
            **changes,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return httpx.put(f"{self.base}/v1/playbooks/{playbook}", json=body, headers=self.consultant)

    def gate(self, playbook: str, visitor: str = "v-1") -> httpx.Response:
        return httpx.get(
            f"{self.base}/v1/playbooks/{playbook}/gate",
            params={"visitor_id": visitor},
            headers=self.site,
            timeout=30,
        )

    def events(self, playbook: str) -> list[Event]:
        return [
            e
            for e in in_own_loop(content_events(self.bootstrap, self.namespace + topics.CONTENT))
            if getattr(e, "playbook_id", None) == playbook
        ]

    def web_events(self, visitor: str) -> list[Event]:
        found = in_own_loop(content_events(self.bootstrap, self.namespace + topics.WEB))
        return [e for e in found if e.subject_id == visitor]

    def submit(self, playbook: str, **body: Any) -> httpx.Response:
        return httpx.post(
            f"{self.base}/v1/playbooks/{playbook}/gate/submit", json=body, headers=self.site
        )

    def metrics(self) -> str:
        return httpx.get(f"{self.base}/metrics").text


async def content_events(bootstrap: str, topic: str) -> list[Event]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        parts = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[Event] = []
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out += [parse_event(r.value) for r in records]
        return out
    finally:
        await consumer.stop()


def types_of(service: Service, playbook: str, count: int) -> list[str]:
    found = poll(lambda: service.events(playbook), lambda es: len(es) >= count, timeout=30)
    return sorted(e.type for e in found)


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


def candidates_sent(stub: Stub) -> list[dict[str, str]]:
    prompt = stub.requests[-1]["messages"][0]["content"]
    return list(json.loads(prompt[prompt.index("\n\n{") + 2 :])["candidate_quotes"])


def test_the_gate_shows_generated_copy_then_the_cache_until_a_consultant_deletes_it(
    service: Service, stub: Stub
) -> None:
    stored = service.put("selling")
    calls = stub.calls

    first = service.gate("selling")
    candidates = candidates_sent(stub)
    second = service.gate("selling", "v-2")
    after_second = stub.calls
    deleted = httpx.delete(
        f"{service.base}/v1/playbooks/selling/gate-cache", headers=service.consultant
    )
    third = service.gate("selling", "v-3")

    assert stored.status_code == 200, stored.text
    assert stored.json()["updated_by"] == "sam@example.com"
    assert first.status_code == 200, first.text
    shown = first.json()
    assert shown["header"] == f"Stub header for {MODEL}"
    assert shown["fallback"] is False
    assert len(candidates) == 5
    assert {"quote": shown["quote"]["text"], "author": shown["quote"]["author"]} in candidates
    assert second.json() == shown
    assert after_second == calls + 1, "the cached copy made no model call"
    assert deleted.status_code == 204
    assert third.status_code == 200 and stub.calls == calls + 2
    assert types_of(service, "selling", 6) == [
        "gated_content.viewed.v1",
        "gated_content.viewed.v1",
        "gated_content.viewed.v1",
        "playbook.metadata_set.v1",
        "playbook_copy.generated.v1",
        "playbook_copy.generated.v1",
    ]


def test_an_unknown_playbook_is_404_and_calls_no_model(service: Service, stub: Stub) -> None:
    calls = stub.calls

    gate = service.gate("no-such-playbook")
    one = httpx.get(f"{service.base}/v1/playbooks/no-such-playbook", headers=service.consultant)
    delete = httpx.delete(
        f"{service.base}/v1/playbooks/no-such-playbook/gate-cache", headers=service.consultant
    )

    assert (gate.status_code, one.status_code, delete.status_code) == (404, 404, 404)
    assert stub.calls == calls


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tone": None}, "tone"),
        ({"title": "   "}, "title"),
        ({"tagline": ""}, "tagline"),
        ({"domain_tags": []}, "domain_tags"),
        ({"domain_tags": [f"t{i}" for i in range(11)]}, "domain_tags"),
    ],
)
def test_metadata_missing_or_empty_a_required_field_is_422_naming_it(
    service: Service, changes: dict[str, Any], field: str
) -> None:
    refused = service.put("refused", **changes)

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [field]


def test_consultant_routes_need_a_session_and_the_gate_a_producer_key(service: Service) -> None:
    service.put("guarded")

    anonymous = httpx.get(f"{service.base}/v1/playbooks")
    listed = httpx.get(f"{service.base}/v1/playbooks", headers=service.consultant)
    gate_with_session = httpx.get(
        f"{service.base}/v1/playbooks/guarded/gate",
        params={"visitor_id": "v-1"},
        headers=service.consultant,
    )

    assert anonymous.status_code == 401
    assert "guarded" in [p["id"] for p in listed.json()["playbooks"]]
    assert gate_with_session.status_code == 401, "a consultant's token is not a producer key"


def test_a_model_slower_than_ten_seconds_gets_the_fallback_in_time_and_the_next_request_retries(
    service: Service, stub: Stub
) -> None:
    service.put("slow")
    stub.mode, stub.delay_s = modes.DELAY, 12.0

    started = time.monotonic()
    fallback = service.gate("slow")
    elapsed = time.monotonic() - started
    stub.mode = modes.NORMAL
    calls = stub.calls
    retried = service.gate("slow")

    assert fallback.status_code == 200
    assert elapsed <= 10.5
    assert fallback.json()["fallback"] is True
    assert fallback.json()["header"] == "Static slow"
    assert fallback.json()["paragraphs"] == ["Get the playbook."]
    assert retried.json()["fallback"] is False and stub.calls == calls + 1
    assert 'crm_content_fallbacks_total{reason="timeout"} 1.0' in service.metrics()
    used = [e for e in service.events("slow") if e.type == "playbook_copy.fallback_used.v1"]
    assert [getattr(e, "reason", None) for e in used] == ["timeout"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (modes.OVERLOADED, "overloaded"),
        (modes.INVENTED, "quote_rejected"),
        (modes.MALFORMED, "invalid_output"),
        (modes.REFUSAL, "refusal"),
    ],
)
def test_a_failing_model_gets_the_fallback_copy_and_the_reason_is_recorded(
    service: Service, stub: Stub, mode: str, reason: str
) -> None:
    playbook = f"failing-{mode}"
    service.put(playbook, fallback=None)
    stub.mode = mode

    shown = service.gate(playbook)

    assert shown.status_code == 200
    assert shown.json()["fallback"] is True
    assert shown.json()["header"] == "Selling without pushing", "generic: the title"
    assert shown.json()["quote"] is None
    found = poll(
        lambda: service.events(playbook),
        lambda es: any(e.type == "playbook_copy.fallback_used.v1" for e in es),
    )
    used = [e for e in found if e.type == "playbook_copy.fallback_used.v1"]
    assert [getattr(e, "reason", None) for e in used] == [reason]
    assert f'crm_content_fallbacks_total{{reason="{reason}"}}' in service.metrics()


def test_twenty_concurrent_first_requests_make_one_model_call(service: Service, stub: Stub) -> None:
    service.put("crowded")
    stub.mode, stub.delay_s = modes.DELAY, 1.0
    calls = stub.calls

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda i: service.gate("crowded", f"v-{i}"), range(20)))

    assert [a.status_code for a in answers] == [200] * 20
    assert stub.calls == calls + 1
    assert len({a.json()["variation_id"] for a in answers}) == 1
    assert not any(a.json()["fallback"] for a in answers)


def test_a_submitted_gate_form_is_a_conversion_of_the_variation_shown_and_an_inquiry(
    service: Service, stub: Stub
) -> None:
    service.put("converting")
    shown = service.gate("converting", "v-conv").json()

    submitted = service.submit(
        "converting",
        email="Pat@Example.com",
        visitor_id="v-conv",
        name="Pat",
        fields={"company": "Acme"},
    )

    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["variation_id"] == shown["variation_id"]
    found = poll(
        lambda: service.events("converting"),
        lambda es: any(e.type == "gated_content.submitted.v1" for e in es),
    )
    conversion = [e for e in found if e.type == "gated_content.submitted.v1"]
    assert len(conversion) == 1
    assert conversion[0].model_dump(include={"variation_id", "name", "fields"}) == {
        "variation_id": shown["variation_id"],
        "name": "Pat",
        "fields": {"company": "Acme"},
    }
    assert 0 <= (getattr(conversion[0], "seconds_to_submit", None) or 0) < 30
    inquiries = poll(lambda: service.web_events("v-conv"), lambda es: len(es) >= 1)
    assert [
        (e.type, getattr(e, "email", None), getattr(e, "form_id", None)) for e in inquiries
    ] == [("inquiry.submitted.v1", "pat@example.com", "gate:converting")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "visitor_id": "v-bad"}, "email"),
        ({"email": "a@example.com", "visitor_id": "v-bad", "name": "x" * 301}, "name"),
        (
            {"email": "a@example.com", "visitor_id": "v-bad", "fields": {"k": "v" * 1001}},
            "fields.k",
        ),
        ({"email": "a@example.com", "visitor_id": "v-never-shown"}, "visitor_id"),
    ],
)
def test_a_bad_or_unshown_submission_is_422_naming_the_field_and_records_nothing(
    service: Service, stub: Stub, body: dict[str, Any], field: str
) -> None:
    service.put("refusing")
    service.gate("refusing", "v-bad")

    refused = service.submit("refusing", **body)

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    kinds = [e.type for e in service.events("refusing")]
    assert "gated_content.submitted.v1" not in kinds
    assert service.web_events(body["visitor_id"]) == []


def test_a_submission_for_an_unknown_playbook_is_404(service: Service) -> None:
    refused = service.submit("no-such-playbook", email="a@example.com", visitor_id="v-1")

    assert refused.status_code == 404
