"""Talk to Sales through `crm-journey serve billing` on Kafka and PostgreSQL: the request is
recorded on `crm.billing` with the tiers it is about, once per Idempotency-Key; bad input records
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.billing.service import GATED, Service
from tests.processes import poll

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def ask_sales(service: Service, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {**service.site, **({"Idempotency-Key": key} if key else {})}
    return httpx.post(f"{service.base}/v1/sales-contact", json=body, headers=headers)


def sales_rows(service: Service) -> int:
    query = "SELECT count(*) FROM billing_journal WHERE type = 'sales_contact.requested.v1'"
    return int(service.rows(query)[0][0])


def test_an_explorer_asking_sales_about_a_gated_cta_is_recorded_with_both_tiers(
    service: Service,
) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    body = {"prospect_id": prospect, "email": " Ada@Example.com", "name": "Ada", "cta_id": GATED}
    answer = ask_sales(service, body)

    assert answer.status_code == 201, answer.text
    request_id = answer.json()["request_id"]
    assert answer.json()["form"] == {
        "email": "ada@example.com",
        "name": "Ada",
        "message": "I am on Explorer and would like to talk about upgrading to Accelerator.",
        "current_tier": "Explorer",
        "requested_tier": "Accelerator",
    }
    found = poll(lambda: service.events(prospect), lambda es: len(es) >= 1)
    assert [e.type for e in found] == ["sales_contact.requested.v1"]
    asked: Any = found[0]
    assert str(asked.event_id) == request_id
    assert (asked.email, asked.name, asked.message) == ("ada@example.com", "Ada", None)
    assert (asked.current_tier, asked.required_tier, asked.cta_id) == (
        "Explorer",
        "Accelerator",
        GATED,
    )
    counted = httpx.get(f"{service.base}/metrics").text
    assert 'crm_billing_sales_contacts_total{tier="Accelerator"}' in counted


def test_without_a_cta_sales_is_asked_about_the_next_tier_up_and_the_message_is_kept(
    service: Service,
) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    body = {"prospect_id": prospect, "email": "bo@example.com", "message": " Call me. "}
    answer = ask_sales(service, body)

    assert answer.status_code == 201, answer.text
    form = answer.json()["form"]
    assert (form["message"], form["requested_tier"], form["name"]) == (
        "Call me.",
        "Accelerator",
        None,
    )
    found = poll(lambda: service.events(prospect), lambda es: len(es) >= 1)
    assert found[0].message == "Call me."  # type: ignore[attr-defined]


def test_a_retry_with_the_same_idempotency_key_is_recorded_once_and_another_body_is_a_409(
    service: Service,
) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    body = {"prospect_id": prospect, "email": "cy@example.com", "cta_id": GATED}
    first = ask_sales(service, body, key="attempt-1")
    before = sales_rows(service)
    again = ask_sales(service, body, key="attempt-1")
    other = ask_sales(service, {**body, "email": "dee@example.com"}, key="attempt-1")

    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.json() == first.json()
    assert other.status_code == 409 and "attempt-1" in other.json()["detail"]
    assert sales_rows(service) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.c" + "x" * 320}, "email"),
        ({"name": "n" * 301}, "name"),
        ({"message": "m" * 5001}, "message"),
        ({"cta_id": "has space"}, "cta_id"),
        ({"prospect_id": ""}, "prospect_id"),
    ],
)
def test_a_bad_email_or_an_oversized_field_is_a_422_naming_it_and_records_nothing(
    service: Service, change: dict[str, str], field: str
) -> None:
    before = sales_rows(service)
    body = {"prospect_id": "v-bad", "email": "ok@example.com", **change}
    refused = ask_sales(service, body)

    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert sales_rows(service) == before


def test_without_a_producer_key_nothing_is_recorded(service: Service) -> None:
    before = sales_rows(service)
    body = {"prospect_id": "v-nokey", "email": "ok@example.com"}
    assert httpx.post(f"{service.base}/v1/sales-contact", json=body).status_code == 401
    assert sales_rows(service) == before


def test_a_prospect_without_the_tier_is_offered_checkout_and_talk_to_sales(
    service: Service,
) -> None:
    actions = service.access(f"v-{uuid.uuid4().hex[:8]}").json()["actions"]
    assert [(a["kind"], a["label"], a["method"], a["href"]) for a in actions] == [
        ("upgrade", "Upgrade to Accelerator", "POST", "/v1/checkout"),
        ("sales", "Talk to Sales", "POST", "/v1/sales-contact"),
    ]
