"""`crm-journey serve content` on real Kafka and PostgreSQL, its Anthropic client on the local
stub: metadata, the gate's generated copy, the cache, its deletion, the fallbacks, and the facts
on `crm.content`."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.content import anthropic_stub as modes
from tests.content.anthropic_stub import Stub
from tests.content.service import MODEL, Service, candidates_sent, types_of
from tests.processes import poll

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


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
    after_fallback = service.submit("slow", email="slow@example.com", visitor_id="v-1")
    assert after_fallback.status_code == 202, after_fallback.text
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
    # The form under the fallback copy works: a conversion of the fallback variation.
    submitted = service.submit(playbook, email=f"{mode}@example.com", visitor_id="v-1")
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["variation_id"] == "fallback"


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
