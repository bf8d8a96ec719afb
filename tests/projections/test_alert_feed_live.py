"""The alert feed in the running product: a skip raises an alert, a consultant acknowledges it,
and the response-time analytics count it, through the event log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.processes import poll
from tests.product import Product


def test_an_acknowledged_alert_is_counted_with_its_response_time(product: Product) -> None:
    day = datetime.now(UTC)
    path = f"/v1/analytics/alerts?from={day.date()}&to={day.date()}"

    def high() -> dict[str, Any]:
        priorities = product.get(path).json()["priorities"]
        return dict(next(p for p in priorities if p["priority"] == "HIGH"))

    # Other tests share the product: count what this one adds.
    before = high()
    visitor = f"v-feed-{uuid.uuid4().hex[:8]}"
    click = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": day.isoformat(),
        "cta": {"id": "book-demo", "label": "Book a Demo", "stage": 4, "points": 10},
    }
    assert product.post(click).status_code == 202
    alerts = poll(
        lambda: product.get(f"/v1/alerts?prospect_id={visitor}&status=pending").json()["alerts"],
        lambda found: len(found) == 1,
    )
    assert len(alerts) == 1
    acknowledged = httpx.post(
        f"{product.base}/v1/alerts/{alerts[0]['id']}/acknowledge",
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert acknowledged.status_code == 200, acknowledged.text

    found = poll(high, lambda h: h["acknowledged"] > before["acknowledged"])
    assert found["acknowledged"] == before["acknowledged"] + 1
    acks = found["time_to_acknowledge"]["count"] - before["time_to_acknowledge"]["count"]
    assert acks == 1
