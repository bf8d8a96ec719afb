"""The gate form on `crm-journey serve content` (real Kafka and PostgreSQL): a conversion on
`crm.content` and an inquiry on `crm.web`; bad or unshown submissions record nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.content.anthropic_stub import Stub
from tests.content.service import Service
from tests.processes import poll

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


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


def test_a_form_sent_again_with_its_idempotency_key_is_one_conversion_and_another_body_a_409(
    service: Service, stub: Stub
) -> None:
    service.put("retried")
    service.gate("retried", "v-retry")
    key = {"Idempotency-Key": "form-1"}
    url = f"{service.base}/v1/playbooks/retried/gate/submit"
    body = {"email": "pat@example.com", "visitor_id": "v-retry"}
    headers = {**service.site, **key}

    first = httpx.post(url, json=body, headers=headers)
    again = httpx.post(url, json=body, headers=headers)
    changed = httpx.post(url, json={**body, "email": "other@example.com"}, headers=headers)
    unkeyed = service.submit("retried", **body)

    assert (first.status_code, again.status_code) == (202, 202), first.text
    assert again.json()["submission_id"] == first.json()["submission_id"]
    assert changed.status_code == 409 and "form-1" in changed.json()["detail"]
    assert unkeyed.status_code == 202
    found = poll(
        lambda: service.events("retried"),
        lambda es: sum(e.type == "gated_content.submitted.v1" for e in es) >= 2,
    )
    conversions = [str(e.event_id) for e in found if e.type == "gated_content.submitted.v1"]
    expected = [first.json()["submission_id"], unkeyed.json()["submission_id"]]
    assert sorted(conversions) == sorted(expected)
