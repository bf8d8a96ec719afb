"""A request to talk to sales published on `crm.billing`, as the billing service publishes it,
reaches consultants as a HIGH sales alert they work through the alerts API: in the embedded
product (`crm-journey run`) and in `serve all` on real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from schemas.billing import SalesContactRequestedV1
from tests.processes import poll
from tests.product import Product


@pytest.fixture(params=["embedded", "postgresql"])
def running(request: pytest.FixtureRequest) -> Product:
    name = "embedded_product" if request.param == "embedded" else "real_product"
    found: Product = request.getfixturevalue(name)
    return found


def asked(visitor: str, message: str) -> SalesContactRequestedV1:
    return SalesContactRequestedV1(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        subject_id=visitor,
        email=f"{visitor}@example.com",
        name="Ana Silva",
        message=message,
        required_tier="Enterprise",
        current_tier="Explorer",
        cta_id="talk-to-sales-enterprise",
    )


def alerts_of(product: Product, visitor: str) -> list[dict[str, Any]]:
    answer = product.get(f"/v1/alerts?prospect_id={visitor}")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["alerts"]
    return found


def post(product: Product, path: str) -> httpx.Response:
    return httpx.post(f"{product.base}{path}", headers={"Authorization": f"Bearer {product.token}"})


def test_a_sales_request_raises_one_high_sales_alert_even_when_redelivered_and_is_worked(
    running: Product,
) -> None:
    visitor = f"v-sales-{uuid.uuid4().hex[:8]}"
    first = asked(visitor, "Can we talk about 40 seats?")
    running.publish([first])

    [alert] = poll(lambda: alerts_of(running, visitor), lambda found: len(found) > 0)
    assert (alert["kind"], alert["priority"], alert["status"]) == ("sales", "HIGH", "pending")
    assert (alert["required_tier"], alert["current_tier"]) == ("Enterprise", "Explorer")
    assert (alert["email"], alert["name"]) == (f"{visitor}@example.com", "Ana Silva")
    assert (alert["message"], alert["cta_id"]) == (
        "Can we talk about 40 seats?",
        "talk-to-sales-enterprise",
    )
    assert (alert["current_stage"], alert["target_stage"], alert["gap"]) == (None, None, None)

    # The same request delivered twice more, then a second request: keyed by the visitor, it
    # comes after them, so once it is in, the redeliveries have been through too.
    running.publish([first, first, asked(visitor, "Or a call on Monday?")])
    found = poll(lambda: alerts_of(running, visitor), lambda found: len(found) > 1)
    assert sorted(a["message"] for a in found) == [
        "Can we talk about 40 seats?",
        "Or a call on Monday?",
    ]

    one = f"/v1/alerts/{alert['id']}"
    acknowledged = post(running, f"{one}/acknowledge")
    assert acknowledged.status_code == 200, acknowledged.text
    done = post(running, f"{one}/action")
    assert (done.status_code, done.json()["status"]) == (200, "actioned"), done.text
    history = running.get(one).json()["history"]
    assert [h["kind"] for h in history] == [
        "sales_alert.raised",
        "alert.acknowledged",
        "alert.actioned",
    ]
    assert history[0]["causation_id"] == str(first.event_id)
