"""POST /v1/events against the running embedded product."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from tests.processes import poll
from tests.product import Product

CLICK: dict[str, Any] = {
    "type": "cta.clicked",
    "occurred_at": "2026-11-24T10:00:00Z",
    "visitor_id": "v-123",
    "email": None,
    "cta": {
        "id": "schedule-discovery-call",
        "label": "Schedule Discovery Call",
        "stage": 1,
        "points": 10,
        "required_tier": None,
    },
    "page": "https://example.com/pricing",
    "utm": {"source": "google", "medium": "cpc", "campaign": "q4"},
}


def click(visitor: str, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(CLICK)
    body["visitor_id"] = visitor
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = body
        for p in parents:
            node = node[p]
        if value is ...:
            del node[leaf]
        else:
            node[leaf] = value
    return body


def test_a_first_click_creates_the_prospect_in_stage_1_with_its_entry_point(
    product: Product,
) -> None:
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    answer = product.post(click(visitor))
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    assert uuid.UUID(event_id)

    found = poll(lambda: product.prospect(visitor), lambda r: r.status_code == 200)
    prospect = found.json()
    assert (prospect["stage"], prospect["stage_name"]) == (1, "Call to Discovery")
    assert prospect["entry_point"] == {
        "kind": "cta",
        "cta_id": "schedule-discovery-call",
        "cta_label": "Schedule Discovery Call",
        "form_id": None,
        "page": "https://example.com/pricing",
        "utm": {"source": "google", "medium": "cpc", "campaign": "q4"},
        "captured_at": "2026-11-24T10:00:00Z",
    }


def test_a_later_click_does_not_overwrite_the_entry_point(product: Product) -> None:
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    product.post(click(visitor))
    later = click(
        visitor,
        cta__id="pricing",
        page="https://example.com/later",
        occurred_at="2026-11-24T11:00:00Z",
    )
    assert product.post(later).status_code == 202
    found = poll(
        lambda: product.prospect(visitor),
        lambda r: r.status_code == 200 and r.json()["clicks"] == 2,
    )
    assert found.json()["clicks"] == 2
    assert found.json()["entry_point"]["cta_id"] == "schedule-discovery-call"


def test_a_retried_event_with_the_same_client_event_id_counts_once(product: Product) -> None:
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    body = click(visitor, event_id=str(uuid.uuid4()))
    first, retry = product.post(body), product.post(body)
    assert first.json()["event_id"] == retry.json()["event_id"] == body["event_id"]
    product.post(click(visitor, event_id=str(uuid.uuid4()), occurred_at="2026-11-24T10:05:00Z"))
    found = poll(
        lambda: product.prospect(visitor),
        lambda r: r.status_code == 200 and r.json()["clicks"] >= 2,
    )
    assert found.json()["clicks"] == 2


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"visitor_id": ...}, "visitor_id", "Field required"),
        ({"cta": ...}, "cta", "Field required"),
        ({"cta__id": ...}, "cta.id", "Field required"),
        ({"cta__stage": 7}, "cta.stage", "less than or equal to 6"),
        ({"cta__stage": 0}, "cta.stage", "greater than or equal to 1"),
        ({"cta__points": 0}, "cta.points", "greater than or equal to 1"),
        ({"cta__points": 51}, "cta.points", "less than or equal to 50"),
        ({"cta__points": "ten"}, "cta.points", "valid integer"),
        ({"occurred_at": "yesterday"}, "occurred_at", "datetime"),
        ({"occurred_at": "2026-11-24T10:00:00"}, "occurred_at", "timezone"),
        ({"email": "not-an-email"}, "email", "pattern"),
        ({"type": "cta.exploded"}, "type", "does not match"),
    ],
)
def test_an_invalid_event_is_refused_naming_the_field_and_nothing_is_published(
    product: Product, changes: dict[str, Any], field: str, reason: str
) -> None:
    before = product.published()
    answer = product.post(click("v-bad", **changes))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert any(e["field"] == field and reason in e["message"] for e in errors), errors
    assert product.published() == before


def test_a_body_that_is_not_json_is_a_400_and_nothing_is_published(product: Product) -> None:
    before = product.published()
    answer = product.post(raw=b"{'type': 'cta.clicked'")
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["detail"]
    assert product.published() == before


def test_a_body_nested_1100_deep_is_a_400_naming_the_nesting(product: Product) -> None:
    before = product.published()
    for raw in (b"[" * 1100 + b"]" * 1100, b'{"a":' * 1100 + b"1" + b"}" * 1100):
        answer = product.post(raw=raw)
        assert answer.status_code == 400
        assert "nests" in answer.json()["detail"]
    assert product.published() == before


def test_a_body_over_1_mib_is_a_413_and_nothing_is_published(product: Product) -> None:
    before = product.published()
    answer = product.post(raw=b"[" + b" " * (1024 * 1024) + b"]")
    assert answer.status_code == 413
    assert "larger than 1048576 bytes" in answer.json()["detail"]
    assert product.published() == before


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("cta__stage", "3", "cta.stage"),
        ("cta__stage", True, "cta.stage"),
        ("cta__points", "10", "cta.points"),
        ("occurred_at", "1970-01-01T00:00:00Z", "occurred_at"),
        ("visitor_id", "v-\x00-1", "visitor_id"),
        ("visitor_id", "v-\u202egnp.exe", "visitor_id"),
        ("cta__id", "cta\x1b[31m", "cta.id"),
    ],
)
def test_lax_producer_input_is_a_422_naming_the_field(
    product: Product, path: str, value: object, field: str
) -> None:
    before = product.published()
    answer = product.post(click("v-lax", **{path: value}))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert product.published() == before


def test_a_batch_accepts_the_valid_items_and_names_the_invalid_ones(product: Product) -> None:
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    before = product.published()
    answer = product.post(
        {
            "events": [
                click(visitor),
                click(visitor, cta__stage=7),
                "nonsense",
                click(visitor, cta__points=3),
            ]
        }
    )
    assert answer.status_code == 202
    body = answer.json()
    assert [a["index"] for a in body["accepted"]] == [0, 3]
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["errors"] == [
        {"field": "cta.stage", "message": "Input should be less than or equal to 6"}
    ]
    assert product.published() == before + 2


def test_a_batch_with_no_valid_item_is_a_422(product: Product) -> None:
    before = product.published()
    answer = product.post({"events": [click("v-x", cta__stage=9)]})
    assert answer.status_code == 422
    assert answer.json()["rejected"][0]["index"] == 0
    assert product.published() == before


def test_an_empty_or_oversized_batch_is_refused(product: Product) -> None:
    assert product.post({"events": []}).status_code == 422
    assert product.post({"events": [click("v-many")] * 1001}).status_code == 413


@pytest.mark.parametrize("key", ["", "pk-unknown"])
def test_posting_without_a_valid_producer_key_is_a_401(product: Product, key: str) -> None:
    before = product.published()
    assert product.post(click("v-anon"), key=key).status_code == 401
    assert product.published() == before


def test_a_producer_key_cannot_read_prospects(product: Product) -> None:
    import httpx

    as_producer = httpx.get(
        f"{product.base}/v1/prospects/v-123",
        headers={"Authorization": f"Bearer {product.producer_key}"},
    )
    anonymous = httpx.get(f"{product.base}/v1/prospects/v-123")
    assert (as_producer.status_code, anonymous.status_code) == (401, 401)


def test_an_unknown_prospect_is_a_404(product: Product) -> None:
    answer = product.prospect("v-never-seen")
    assert answer.status_code == 404
    assert "v-never-seen" in answer.json()["detail"]


def test_a_browser_on_another_site_may_post_events_but_not_carry_cookies(product: Product) -> None:
    import httpx

    preflight = httpx.options(
        f"{product.base}/v1/events",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://shop.example.com")
    assert "access-control-allow-credentials" not in preflight.headers
