"""Roadmap notes on the running embedded product (`crm-journey run`): a click makes a prospect,
the planning service takes a consultant's note for it, and the projections list it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.processes import poll
from tests.product import Product


def notes_path(prospect: str) -> str:
    return f"/v1/prospects/{prospect}/roadmap-notes"


def post_note(
    product: Product, prospect: str, text: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.post(
        f"{product.base}{notes_path(prospect)}",
        json={"text": text},
        headers={"Authorization": f"Bearer {product.token}", **(headers or {})},
    )


def listed(product: Product, prospect: str, count: int) -> list[dict[str, Any]]:
    answer = poll(
        lambda: product.get(notes_path(prospect)),
        lambda r: r.status_code == 200 and len(r.json()["notes"]) >= count,
    )
    assert answer.status_code == 200, answer.text
    notes: list[dict[str, Any]] = answer.json()["notes"]
    return notes


def listed_with(product: Product, prospect: str, note_id: str) -> list[dict[str, Any]]:
    answer = poll(
        lambda: product.get(notes_path(prospect)),
        lambda r: r.status_code == 200 and any(n["note_id"] == note_id for n in r.json()["notes"]),
    )
    assert answer.status_code == 200, answer.text
    notes: list[dict[str, Any]] = answer.json()["notes"]
    return notes


@pytest.fixture(scope="module")
def prospect(product: Product) -> str:
    visitor = f"v-notes-{uuid.uuid4().hex[:8]}"
    click = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": "2026-11-24T10:00:00Z",
        "cta": {"id": "workshop", "label": "Workshop", "stage": 5, "points": 50},
    }
    assert product.post(click).status_code == 202
    assert poll(lambda: product.prospect(visitor), lambda r: r.status_code == 200).is_success
    return visitor


def test_a_note_posted_for_a_prospect_is_accepted_and_listed_newest_first(
    product: Product, prospect: str
) -> None:
    # The planning service learns the prospect from crm.journey, a moment after the journey.
    first = poll(
        lambda: post_note(product, prospect, "  Phase 1: migrate onboarding  "),
        lambda r: r.status_code == 202,
    )
    assert first.status_code == 202, first.text
    second = post_note(product, prospect, "Phase 2: train the team")
    assert second.status_code == 202, second.text

    body = first.json()
    assert (body["prospect_id"], body["text"], body["author"]) == (
        prospect,
        "Phase 1: migrate onboarding",
        "c@example.com",
    )
    notes = listed(product, prospect, 2)
    assert [(n["note_id"], n["text"]) for n in notes] == [
        (second.json()["note_id"], "Phase 2: train the team"),
        (body["note_id"], "Phase 1: migrate onboarding"),
    ]


def test_a_retried_post_with_the_same_idempotency_key_records_one_note(
    product: Product, prospect: str
) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    ready = poll(lambda: post_note(product, prospect, "ready"), lambda r: r.status_code == 202)
    # Notes of one prospect are listed in the order they were recorded: once this one is, every
    # earlier note (other tests') is too, and the count is settled.
    before = len(listed_with(product, prospect, ready.json()["note_id"]))

    first = post_note(product, prospect, "Kick-off booked", key)
    again = post_note(product, prospect, "Kick-off booked", key)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    notes = listed_with(product, prospect, first.json()["note_id"])
    assert [n["note_id"] for n in notes].count(first.json()["note_id"]) == 1
    assert len(notes) == before + 1


def test_a_note_for_a_mistyped_id_an_empty_note_and_no_session_are_refused(
    product: Product, prospect: str
) -> None:
    unknown = post_note(product, f"{prospect}x", "hello")
    empty = post_note(product, prospect, "   ")
    anonymous = httpx.post(f"{product.base}{notes_path(prospect)}", json={"text": "hello"})

    assert unknown.status_code == 404
    assert unknown.json()["detail"] == f"no prospect '{prospect}x' on the board"
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"field": "text", "message": "the note is empty"}]
    assert anonymous.status_code == 401
    assert product.get(notes_path(f"{prospect}x")).json() == {"notes": []}
