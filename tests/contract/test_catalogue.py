import json
import re
import typing
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import export, topics
from schemas.catalogue import (
    BY_TYPE,
    EVENT_TYPES,
    TOPIC_OF,
    AnyEvent,
    InvalidEvent,
    field_errors,
    parse_event,
    serialize,
    type_name,
)
from schemas.envelope import derived_id
from schemas.producer import SENT_EVENT, SentBatch
from schemas.web import CtaClickedV1

GOLDEN = Path(__file__).parent / "golden"
WIRE_TYPES = sorted(BY_TYPE)
RECEIVED_AT = datetime(2026, 11, 24, 10, 0, 5, tzinfo=UTC)
DESIGN_EXAMPLE: dict[str, Any] = {
    "type": "cta.clicked",
    "event_id": "0d6f2c1e-8b4a-4e9d-a2f7-5c3b1e9d7a40",
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


def golden(wire_type: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{wire_type}.json").read_text(encoding="utf-8"))


def errors_of(data: dict[str, Any] | bytes) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(data)
    return {error["field"]: error["message"] for error in caught.value.errors}


def cta_click(**changes: Any) -> dict[str, Any]:
    return {**golden("cta.clicked.v1"), **changes}


def test_every_catalogue_type_has_a_golden_file_and_every_golden_file_is_a_catalogue_type():
    assert sorted(path.name.removesuffix(".json") for path in GOLDEN.glob("*.json")) == WIRE_TYPES


@pytest.mark.parametrize("wire_type", WIRE_TYPES)
def test_golden_parses_to_its_class_and_keeps_every_released_field(wire_type):
    document = golden(wire_type)

    event = parse_event((GOLDEN / f"{wire_type}.json").read_bytes())

    assert type(event) is BY_TYPE[wire_type]
    assert parse_event(serialize(event)) == event
    # Additive change keeps the version: new fields may appear, released ones never change.
    assert_contains(json.loads(serialize(event)), document)


def assert_contains(actual: Any, released: Any, path: str = "") -> None:
    if isinstance(released, dict):
        assert isinstance(actual, dict), path
        for key, value in released.items():
            assert key in actual, f"released field {path}{key} disappeared"
            assert_contains(actual[key], value, f"{path}{key}.")
    else:
        assert actual == released, f"released field {path.rstrip('.')} changed"


def test_the_union_holds_exactly_the_catalogue_types():
    union = typing.get_args(AnyEvent)[0]
    assert set(typing.get_args(union)) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES)) == len(BY_TYPE)


def test_every_event_type_is_on_exactly_one_known_topic_and_every_topic_carries_events():
    on_topics = [type_name(cls) for cls in EVENT_TYPES]
    assert sorted(on_topics) == sorted(TOPIC_OF) == WIRE_TYPES
    assert set(TOPIC_OF.values()) == set(topics.ALL)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda cls: cls.__name__)
def test_wire_type_and_class_name_carry_the_same_version(cls):
    match = re.fullmatch(r"[a-z_]+\.[a-z_]+\.v(\d+)", type_name(cls))

    assert match, type_name(cls)
    assert re.fullmatch(rf"[A-Z][A-Za-z]*V{match[1]}", cls.__name__)
    assert parse_event(golden(type_name(cls))).version == int(match[1])


def test_events_are_frozen_down_to_their_values():
    event = parse_event(golden("cta.clicked.v1"))
    assert isinstance(event, CtaClickedV1)

    with pytest.raises(ValidationError, match="frozen"):
        event.subject_id = "v-someone-else"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.cta.stage = 6  # type: ignore[misc]


def test_fields_added_by_a_newer_writer_are_ignored_by_an_older_reader():
    cta = {**golden("cta.clicked.v1")["cta"], "icon": "rocket"}
    newer = cta_click(campaign_cost_cents=1200, cta=cta)

    assert parse_event(json.dumps(newer).encode()) == parse_event(golden("cta.clicked.v1"))


@pytest.mark.parametrize("encode", [dict, lambda d: json.dumps(d).encode()], ids=["dict", "json"])
def test_a_cta_click_for_stage_7_is_rejected_naming_cta_stage(encode):
    bad = cta_click(cta={**golden("cta.clicked.v1")["cta"], "stage": 7})

    errors = errors_of(encode(bad))

    assert list(errors) == ["cta.stage"]
    assert "less than or equal to 6" in errors["cta.stage"]


@pytest.mark.parametrize(("points", "reason"), [(0, "greater than or equal to 1"), (51, "50")])
def test_cta_points_outside_1_to_50_are_rejected_naming_cta_points(points, reason):
    errors = errors_of(cta_click(cta={**golden("cta.clicked.v1")["cta"], "points": points}))

    assert list(errors) == ["cta.points"]
    assert reason in errors["cta.points"]


def test_an_event_without_subject_id_is_rejected_naming_subject_id():
    event = cta_click()
    del event["subject_id"]

    assert errors_of(event) == {"subject_id": "Field required"}


def test_an_occurred_at_that_is_not_a_timestamp_is_rejected_naming_occurred_at():
    errors = errors_of(cta_click(occurred_at="next tuesday"))

    assert list(errors) == ["occurred_at"]
    assert "valid datetime" in errors["occurred_at"]


def test_a_timestamp_without_a_timezone_is_rejected():
    errors = errors_of(cta_click(occurred_at="2026-11-24T10:00:00"))

    assert list(errors) == ["occurred_at"]
    assert "timezone" in errors["occurred_at"]


@pytest.mark.parametrize("bad_type", ["cta.clicked.v9", 5, [], None])
def test_an_unknown_or_malformed_type_is_rejected_naming_type(bad_type):
    assert list(errors_of(cta_click(type=bad_type))) == ["type"]


def test_an_event_without_a_type_is_rejected_naming_type():
    event = cta_click()
    del event["type"]

    assert list(errors_of(event)) == ["type"]


def test_bytes_that_are_not_json_are_an_invalid_event():
    errors = errors_of(b"cta clicked, stage 1")

    assert list(errors) == ["(body)"]
    assert "Invalid JSON" in errors["(body)"]


def test_derived_ids_are_uuid5_of_the_cause_and_differ_per_kind():
    click = parse_event(golden("cta.clicked.v1"))
    other_click = parse_event(cta_click(event_id=str(uuid.uuid4())))

    points_id = click.caused("points.awarded")

    assert points_id == click.caused("points.awarded")
    assert points_id == derived_id(click.event_id, "points.awarded")
    assert points_id == uuid.uuid5(click.event_id, "points.awarded")
    assert points_id != click.caused("stage.skipped")
    assert points_id != other_click.caused("points.awarded")


def test_the_design_example_becomes_a_cta_click_keyed_by_the_visitor_with_the_client_event_id():
    event = SENT_EVENT.validate_python(DESIGN_EXAMPLE).to_event(RECEIVED_AT)

    assert isinstance(event, CtaClickedV1)
    assert event.subject_id == "v-123"
    assert event.event_id == uuid.UUID(DESIGN_EXAMPLE["event_id"])
    assert event.occurred_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert (event.cta.id, event.cta.stage, event.cta.points) == ("schedule-discovery-call", 1, 10)
    assert (event.page, event.utm.campaign) == ("https://example.com/pricing", "q4")
    assert event.email is None


def test_a_sent_event_without_id_or_time_gets_a_fresh_id_and_the_received_time():
    bare = {k: v for k, v in DESIGN_EXAMPLE.items() if k not in ("event_id", "occurred_at")}
    sent = SENT_EVENT.validate_python(bare)

    first, second = sent.to_event(RECEIVED_AT), sent.to_event(RECEIVED_AT)

    assert first.event_id != second.event_id
    assert first.event_id.version == 4
    assert first.occurred_at == RECEIVED_AT


def test_a_sent_event_occurring_more_than_a_day_ahead_is_rejected_but_small_skew_is_kept():
    def sent_at(offset: timedelta) -> dict[str, Any]:
        return {**DESIGN_EXAMPLE, "occurred_at": (RECEIVED_AT + offset).isoformat()}

    with pytest.raises(ValueError, match="future"):
        SENT_EVENT.validate_python(sent_at(timedelta(days=1, minutes=1))).to_event(RECEIVED_AT)
    skewed = SENT_EVENT.validate_python(sent_at(timedelta(hours=2))).to_event(RECEIVED_AT)
    assert skewed.occurred_at == RECEIVED_AT + timedelta(hours=2)


def test_producer_errors_name_the_field_without_the_type_tag():
    bad = {**DESIGN_EXAMPLE, "cta": {**DESIGN_EXAMPLE["cta"], "stage": 7}}

    with pytest.raises(ValidationError) as caught:
        SENT_EVENT.validate_python(bad)

    assert [error["field"] for error in field_errors(caught.value)] == ["cta.stage"]


def test_a_producer_batch_holds_one_to_a_thousand_events():
    assert len(SentBatch(events=[DESIGN_EXAMPLE] * 1000).events) == 1000
    with pytest.raises(ValidationError):
        SentBatch(events=[DESIGN_EXAMPLE] * 1001)
    with pytest.raises(ValidationError):
        SentBatch(events=[])


def test_checked_in_generated_documents_match_the_code():
    assert export.stale(export.GENERATED) == []


def test_a_generated_document_edited_by_hand_is_reported_stale(tmp_path):
    export.write(tmp_path)
    (tmp_path / "asyncapi.json").write_text("{}\n")

    assert export.stale(tmp_path) == ["asyncapi.json"]


def test_the_events_schema_offers_one_branch_per_wire_type():
    schema = export.events_json_schema()

    assert sorted(schema["discriminator"]["mapping"]) == WIRE_TYPES
    assert len(schema["oneOf"]) == len(WIRE_TYPES)
    assert all("type" in schema["$defs"][cls.__name__]["required"] for cls in EVENT_TYPES)


def test_asyncapi_has_a_channel_per_topic_listing_its_event_types_keyed_by_subject_id():
    document = export.asyncapi()
    messages = document["components"]["messages"]

    def names_on(address: str) -> list[str]:
        [channel] = [c for c in document["channels"].values() if c["address"] == address]
        refs = [m["$ref"].rsplit("/", 1)[1] for m in channel["messages"].values()]
        return sorted(messages[ref]["name"] for ref in refs)

    assert document["asyncapi"] == "3.0.0"
    for topic in topics.ALL:
        assert names_on(topic) == sorted(t for t in WIRE_TYPES if TOPIC_OF[t] == topic)
    assert names_on("crm.dlq.{group}") == WIRE_TYPES
    for message in messages.values():
        assert message["payload"]["$ref"].rsplit("/", 1)[1] in document["components"]["schemas"]
        assert message["bindings"]["kafka"]["key"]["type"] == "string"


def test_a_text_holding_nul_is_no_event_and_a_backslash_before_u0000_is_just_text() -> None:
    """PostgreSQL cannot store U+0000: such an event is refused where it is parsed, naming the
    field, rather than taken in part by one consumer and failing in another."""
    click = cta_click()
    with pytest.raises(InvalidEvent, match=r"cta\.label: must not contain U\+0000"):
        parse_event(json.dumps(click | {"cta": click["cta"] | {"label": "a\x00b"}}))
    literal = json.dumps(click | {"cta": click["cta"] | {"label": "C:\\u0000"}})
    assert "\\\\u0000" in literal  # the JSON holds an escaped backslash, then u0000
    assert parse_event(literal.encode()).cta.label == "C:\\u0000"  # type: ignore[attr-defined]
