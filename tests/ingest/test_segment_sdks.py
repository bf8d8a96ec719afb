"""The real Segment and RudderStack Python SDKs (from PyPI), pointed at the product by their host
only, embedded and on Kafka + PostgreSQL: what they send scores the prospect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient
from segment.analytics.request import APIError

from tests.processes import poll
from tests.product import Product

KEY = "pk-site-a"
AT = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture(params=["embedded", "postgresql"])
def running(request: pytest.FixtureRequest) -> Product:
    name = "embedded_product" if request.param == "embedded" else "real_product"
    found: Product = request.getfixturevalue(name)
    return found


def cta(points: int) -> dict[str, Any]:
    return {"cta_id": "book-demo", "label": "Book a Demo", "stage": 2, "points": points}


CAMPAIGN = {"campaign": {"name": "launch", "source": "newsletter", "medium": "email"}}


def scored(product: Product, visitor: str, points: int) -> dict[str, Any]:
    found = poll(
        lambda: product.prospect(visitor),
        lambda r: r.is_success and r.json()["points"] >= points,
    )
    assert found.is_success, found.text
    prospect: dict[str, Any] = found.json()
    return prospect


def test_segment_sdk_batches_score_the_prospect_and_identify_links_the_email(
    running: Product,
) -> None:
    visitor = f"sdk-seg-{uuid.uuid4().hex[:8]}"
    errors: list[Exception] = []
    client = SegmentClient(
        KEY,
        host=running.base,
        gzip=True,
        upload_interval=0.1,
        on_error=lambda e, _: errors.append(e),
    )
    client.track(anonymous_id=visitor, event="CTA Clicked", properties=cta(10), context=CAMPAIGN)
    client.track(anonymous_id=visitor, event="CTA Clicked", properties=cta(5))
    client.identify(anonymous_id=visitor, traits={"email": f"{visitor}@example.com"})
    client.page(anonymous_id=visitor, name="Pricing")
    client.flush()
    client.join()
    assert errors == []
    prospect = scored(running, visitor, 15)
    assert (prospect["points"], prospect["clicks"]) == (15, 2)
    assert prospect["entry_point"]["utm"]["campaign"] == "launch"
    found = poll(lambda: running.prospect(visitor), lambda r: r.json()["email"] is not None)
    assert found.json()["email"] == f"{visitor}@example.com"


def test_segment_sdk_retrying_the_same_message_ids_counts_once(running: Product) -> None:
    visitor = f"sdk-retry-{uuid.uuid4().hex[:8]}"
    client = SegmentClient(KEY, host=running.base, sync_mode=True)
    for _ in range(3):  # the same call resent, as after a timeout: same messageId and timestamp
        client.track(
            anonymous_id=visitor,
            event="CTA Clicked",
            properties=cta(10),
            timestamp=AT,
            message_id=f"{visitor}-1",
        )
    client.track(anonymous_id=visitor, event="CTA Clicked", properties=cta(1), timestamp=AT)
    prospect = scored(running, visitor, 11)
    assert (prospect["points"], prospect["clicks"]) == (11, 2)


def test_segment_sdk_with_a_wrong_write_key_reports_a_401_unauthorized(
    embedded_product: Product,
) -> None:
    client = SegmentClient("pk-wrong", host=embedded_product.base, sync_mode=True)
    with pytest.raises(APIError) as caught:
        client.track(anonymous_id="v-x", event="CTA Clicked", properties=cta(1))
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert caught.value.message == "the write key is not a producer key"


def test_rudderstack_sdk_gzip_batches_score_the_prospect(running: Product) -> None:
    visitor = f"sdk-rudder-{uuid.uuid4().hex[:8]}"
    errors: list[Exception] = []
    client = RudderClient(
        KEY, host=running.base, upload_interval=0.1, on_error=lambda e, _: errors.append(e)
    )
    assert client.gzip  # RudderStack zips by default
    client.track(anonymous_id=visitor, event="CTA Clicked", properties=cta(20), context=CAMPAIGN)
    client.track(user_id=visitor, event="Video Played", properties={"video": "intro"})
    client.flush()
    client.join()
    assert errors == []
    prospect = scored(running, visitor, 20)
    assert prospect["points"] == 20
    assert prospect["entry_point"]["utm"]["source"] == "newsletter"


def test_rudderstack_sdk_with_a_wrong_write_key_reports_a_401(embedded_product: Product) -> None:
    errors: list[Exception] = []
    client = RudderClient(
        "pk-wrong",
        host=embedded_product.base,
        max_retries=0,
        on_error=lambda e, _: errors.append(e),
    )
    client.track(anonymous_id="v-x", event="CTA Clicked", properties=cta(1))
    client.flush()
    client.join()
    assert [(getattr(e, "status", None), getattr(e, "code", None)) for e in errors] == [
        (401, "unauthorized")
    ]
