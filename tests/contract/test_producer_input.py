"""What a website sends is held to stricter rules than the events it becomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.catalogue import field_errors, parse_event, serialize
from schemas.producer import SENT_EVENT, VALID_BATCH

CLICK: dict[str, Any] = {
    "type": "cta.clicked",
    "visitor_id": "v-1",
    "occurred_at": "2026-11-24T10:00:00Z",
    "cta": {"id": "book-call", "label": "Book a call", "stage": 3, "points": 10},
    "utm": {"source": "news", "medium": None, "campaign": None},
}
INQUIRY: dict[str, Any] = {
    "type": "inquiry.submitted",
    "visitor_id": "v-1",
    "email": "ana@example.com",
    "form_id": "contact",
}


def errors_of(body: dict[str, Any]) -> list[dict[str, str]]:
    """The errors the item-by-item path gives; ingest's one-call path for whole batches
    (straight from the bytes) must refuse the same event in a batch, never publish it."""
    with pytest.raises(ValidationError) as refused:
        SENT_EVENT.validate_python(json.loads(json.dumps(body)))
    with pytest.raises(ValidationError):
        VALID_BATCH.validate_json(json.dumps({"events": [CLICK, body]}))
    return field_errors(refused.value)


def changed(body: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    *parents, leaf = path.split(".")
    node = body
    for p in parents:
        node = node[p]
    node[leaf] = value
    return body


def test_a_well_formed_click_and_inquiry_are_accepted() -> None:
    event = SENT_EVENT.validate_python(CLICK).to_event(datetime.now(UTC))
    assert event.model_dump(mode="json")["cta"]["stage"] == 3
    assert SENT_EVENT.validate_python(INQUIRY).to_event(datetime.now(UTC)).subject_id == "v-1"


FULL_CLICK = {
    **CLICK,
    "event_id": "0b6f2d1e-4b7a-4c1e-9a57-4f3f1d8e9c10",
    "visitor_id": "  v-2 ",
    "email": "Ana@Example.COM",
    "cta": {**CLICK["cta"], "required_tier": "accelerator"},
    "page": "https://example.com/pricing",
    "utm": {"source": "news", "medium": "email", "campaign": "spring"},
}


@pytest.mark.parametrize(
    "sent",
    [
        CLICK,
        FULL_CLICK,
        INQUIRY,
        {**INQUIRY, "utm": {"campaign": "x"}},
        {**INQUIRY, "type": "visitor.identified"},
    ],
    ids=["click", "full click", "inquiry", "inquiry with utm", "identify"],
)
def test_the_event_built_from_a_sent_one_is_the_event_validated_from_scratch(
    sent: dict[str, Any],
) -> None:
    """`to_event` hands over the validated CTA and UTM without validating them again; what it
    publishes must be the bytes, and read back the event, of validating the event in full."""
    event = SENT_EVENT.validate_python(json.loads(json.dumps(sent))).to_event(datetime.now(UTC))
    from_scratch = type(event).model_validate(json.loads(event.model_dump_json()))
    assert serialize(event) == serialize(from_scratch) == from_scratch.model_dump_json().encode()
    assert parse_event(serialize(event)) == from_scratch
    assert event.model_dump() == from_scratch.model_dump()


def test_a_batch_validated_in_one_call_gives_what_validating_each_item_gives() -> None:
    batch = [CLICK, FULL_CLICK, INQUIRY, {**INQUIRY, "type": "visitor.identified"}]
    raw = json.dumps({"events": batch})
    assert VALID_BATCH.validate_json(raw).events == [
        SENT_EVENT.validate_python(item) for item in json.loads(raw)["events"]
    ]
    with pytest.raises(ValidationError):  # anything else in the body: item by item
        VALID_BATCH.validate_json(json.dumps({"events": batch, "type": "cta.clicked"}))


@pytest.mark.parametrize("path", ["cta.stage", "cta.points"])
@pytest.mark.parametrize("value", ["3", True, 3.0])
def test_stage_and_points_that_are_not_json_integers_are_refused(path: str, value: object) -> None:
    assert errors_of(changed(CLICK, path, value)) == [
        {"field": path, "message": "Input should be a valid integer"}
    ]


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59Z"]
)
def test_a_time_before_2000_is_refused(at: str) -> None:
    [error] = errors_of(changed(CLICK, "occurred_at", at))
    assert error["field"] == "occurred_at"
    assert "before 2000-01-01" in error["message"]


HIDDEN = ["\x00", "\x07", "\n", "\x7f", "\x85", "\u202a", "\u202e", "\u2066", "\u2069"]


@pytest.mark.parametrize("character", HIDDEN)
@pytest.mark.parametrize(
    ("body", "path"),
    [
        (CLICK, "visitor_id"),
        (CLICK, "cta.id"),
        (CLICK, "cta.label"),
        (CLICK, "utm.source"),
        (CLICK, "page"),
        (INQUIRY, "form_id"),
        (INQUIRY, "email"),
    ],
)
def test_text_with_control_or_bidi_override_characters_is_refused_naming_the_field(
    character: str, body: dict[str, Any], path: str
) -> None:
    value = "ana@exa" + character + "mple.com" if path == "email" else "v" + character + "1"
    [error] = errors_of(changed(body, path, value))
    assert error["field"] == path
    if not (path == "email" and character.isspace()):  # else the email pattern refuses it first
        assert f"U+{ord(character):04X}" in error["message"]


def test_plain_unicode_text_is_still_welcome() -> None:
    body = changed(CLICK, "cta.label", "Réserver un appel — 予約 مرحبا")
    event = SENT_EVENT.validate_python(body).to_event(datetime.now(UTC))
    assert event.model_dump()["cta"]["label"] == "Réserver un appel — 予約 مرحبا"
