"""A reused `event_id` or `Idempotency-Key` with another body is refused with a 409 naming it; the
same body is accepted again. On the embedded product (SQLite) and on `serve all` (PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.processes import poll
from tests.product import Product


@pytest.fixture(params=["embedded", "postgresql"])
def running(request: pytest.FixtureRequest) -> Product:
    name = "embedded_product" if request.param == "embedded" else "real_product"
    found: Product = request.getfixturevalue(name)
    return found


def click(visitor: str, event_id: str | None = None, points: int = 10) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": "2026-11-24T10:00:00Z",
        "cta": {"id": "guide", "label": "Guide", "stage": 1, "points": points},
    }
    if event_id is not None:
        body["event_id"] = event_id
    return body


def visitor(product: Product) -> str:
    made = f"v-idem-{uuid.uuid4().hex[:8]}"
    assert product.post(click(made)).status_code == 202
    assert poll(lambda: product.prospect(made), lambda r: r.status_code == 200).is_success
    return made


def command(product: Product, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {product.token}", "Idempotency-Key": key}
    return httpx.post(f"{product.base}{path}", json=body, headers=headers)


def test_an_event_id_reused_with_another_body_is_a_409_naming_it_and_publishes_nothing(
    running: Product,
) -> None:
    event_id = str(uuid.uuid4())
    first = running.post(click("v-idem-a", event_id))
    assert first.status_code == 202, first.text
    before = running.published()

    other = running.post(click("v-idem-a", event_id, points=20))

    assert other.status_code == 409, other.text
    assert other.json()["detail"] == f"event_id {event_id} was already used with a different body"
    in_a_batch = running.post({"events": [click("v-idem-a", event_id, points=20)]})
    assert in_a_batch.status_code == 409, in_a_batch.text
    assert in_a_batch.json()["rejected"][0]["errors"][0]["field"] == "event_id"
    assert running.published() == before


def test_the_same_body_under_its_event_id_is_accepted_and_published_again(
    running: Product,
) -> None:
    event_id = str(uuid.uuid4())
    assert running.post(click("v-idem-b", event_id)).status_code == 202
    before = running.published()

    # Equal once validated: the defaults a website left out, spelled out.
    body = click("v-idem-b", event_id)
    body["cta"]["required_tier"] = None
    again = running.post(body)

    assert (again.status_code, again.json()) == (202, {"event_id": event_id})
    assert running.published() == before + 1


def test_in_a_batch_a_reused_event_id_is_rejected_naming_the_field_and_the_rest_accepted(
    running: Product,
) -> None:
    bound, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    assert running.post(click("v-idem-c", bound)).status_code == 202
    batch = [
        click("v-idem-c", bound, points=30),
        click("v-idem-c", fresh),
        click("v-idem-c", fresh, points=40),  # a new id twice in one batch: the first body binds
    ]
    before = running.published()

    answer = running.post({"events": batch})

    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == [{"index": 1, "event_id": fresh}]
    reuse = "was already used with a different body"
    assert answer.json()["rejected"] == [
        {"index": 0, "errors": [{"field": "event_id", "message": f"{bound} {reuse}"}]},
        {"index": 2, "errors": [{"field": "event_id", "message": f"{fresh} {reuse}"}]},
    ]
    assert running.published() == before + 1


def test_a_manual_move_with_a_reused_idempotency_key_and_another_body_is_a_409(
    running: Product,
) -> None:
    prospect, elsewhere = visitor(running), visitor(running)
    key = f"move-{uuid.uuid4().hex[:8]}"
    move = {"stage": 3, "reason": "booked a call"}
    path = f"/v1/prospects/{prospect}/stage"

    moved = command(running, path, move, key)
    again = command(running, path, move, key)
    assert (moved.status_code, again.status_code) == (200, 200), moved.text
    assert again.json()["stage"] == moved.json()["stage"] == 3
    assert again.json()["stage_periods"] == moved.json()["stage_periods"]

    for path_, body in [
        (path, {"stage": 4, "reason": "booked a call"}),
        (path, {"stage": 3, "reason": "another reason"}),
        (f"/v1/prospects/{elsewhere}/stage", move),
    ]:
        refused = command(running, path_, body, key)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"].startswith(f"Idempotency-Key '{key}' was already used")
    assert running.prospect(prospect).json()["stage"] == 3
    assert running.prospect(elsewhere).json()["stage"] == 1


def test_a_roadmap_note_with_a_reused_idempotency_key_and_another_body_is_a_409(
    running: Product,
) -> None:
    prospect, elsewhere = visitor(running), visitor(running)
    key = f"note-{uuid.uuid4().hex[:8]}"
    path = f"/v1/prospects/{prospect}/roadmap-notes"
    # The planning service learns the prospect from crm.journey, a moment after the journey.
    first = poll(
        lambda: command(running, path, {"text": "Kick-off booked"}, key),
        lambda r: r.status_code == 202,
    )
    again = command(running, path, {"text": "Kick-off booked"}, key)
    assert (first.status_code, again.status_code) == (202, 202), first.text
    assert again.json() == first.json()

    other_path = f"/v1/prospects/{elsewhere}/roadmap-notes"
    poll(
        lambda: command(running, other_path, {"text": "ready"}, uuid.uuid4().hex),
        lambda r: r.status_code == 202,
    )
    for path_, text in [(path, "Kick-off moved"), (other_path, "Kick-off booked")]:
        refused = command(running, path_, {"text": text}, key)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"].startswith(f"Idempotency-Key '{key}' was already used")
