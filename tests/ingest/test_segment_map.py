"""Segment messages to producer events: the mapping table of docs/decisions.md, pure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.ingest.segment_map import (
    MESSAGE_IDS,
    EventNames,
    Invalid,
    Skipped,
    translate,
)

NAMES = EventNames()
RECEIVED = datetime(2026, 11, 24, 10, 0, 5, tzinfo=UTC)

CLICK: dict[str, Any] = {
    "type": "track",
    "event": "CTA Clicked",
    "messageId": "m-1",
    "anonymousId": "anon-1",
    "properties": {"cta_id": "book-demo", "label": "Book a Demo", "stage": 4, "points": 10},
    "context": {
        "campaign": {"name": "q4", "source": "google", "medium": "cpc"},
        "page": {"url": "https://example.com/pricing"},
    },
}


def mapped(message: object, sent_at: datetime | None = None) -> Any:
    return translate(message, names=NAMES, batch_sent_at=sent_at, received_at=RECEIVED)


def test_a_cta_clicked_track_becomes_a_click_with_its_cta_page_and_campaign() -> None:
    sent = mapped(CLICK)
    assert sent.type == "cta.clicked"
    assert sent.visitor_id == "anon-1"
    assert (sent.cta.id, sent.cta.label, sent.cta.stage, sent.cta.points) == (
        "book-demo",
        "Book a Demo",
        4,
        10,
    )
    assert sent.page == "https://example.com/pricing"
    assert (sent.utm.source, sent.utm.medium, sent.utm.campaign) == ("google", "cpc", "q4")
    assert sent.event_id == uuid.uuid5(MESSAGE_IDS, "m-1")


def test_the_same_message_id_always_names_the_same_event() -> None:
    assert mapped(CLICK).event_id == mapped({**CLICK, "timestamp": "2026-11-24T09:00:00Z"}).event_id
    assert mapped({**CLICK, "messageId": "m-2"}).event_id != mapped(CLICK).event_id


def test_a_message_without_message_id_gets_an_id_from_ingest() -> None:
    assert mapped({k: v for k, v in CLICK.items() if k != "messageId"}).event_id is None


def test_user_id_is_the_visitor_when_there_is_no_anonymous_id() -> None:
    message = {k: v for k, v in CLICK.items() if k != "anonymousId"} | {"userId": 42}
    assert mapped(message).visitor_id == "42"


def test_a_message_with_neither_id_is_invalid_naming_anonymous_id() -> None:
    with pytest.raises(Invalid) as caught:
        mapped({k: v for k, v in CLICK.items() if k != "anonymousId"})
    assert caught.value.errors[0]["field"] == "anonymousId"


def test_a_client_clock_ahead_is_corrected_by_the_time_between_timestamp_and_sent_at() -> None:
    # The client's clock is an hour ahead: it stamped the click 3 s before it sent it.
    message = {**CLICK, "timestamp": "2026-11-24T11:00:02Z"}
    sent = mapped(message, sent_at=datetime(2026, 11, 24, 11, 0, 5, tzinfo=UTC))
    assert sent.occurred_at == RECEIVED - timedelta(seconds=3)


def test_a_message_sent_at_overrides_the_batch_sent_at() -> None:
    message = {**CLICK, "timestamp": "2026-11-24T11:00:02Z", "sentAt": "2026-11-24T11:00:03Z"}
    sent = mapped(message, sent_at=datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert sent.occurred_at == RECEIVED - timedelta(seconds=1)


def test_a_timestamp_without_sent_at_stands_and_no_timestamp_means_received() -> None:
    assert mapped({**CLICK, "timestamp": "2026-11-20T08:00:00Z"}).occurred_at == datetime(
        2026, 11, 20, 8, tzinfo=UTC
    )
    assert mapped(CLICK).occurred_at == RECEIVED


def test_a_click_with_a_text_stage_is_invalid_naming_the_segment_property() -> None:
    with pytest.raises(Invalid) as caught:
        mapped({**CLICK, "properties": {**CLICK["properties"], "stage": "4"}})
    assert [e["field"] for e in caught.value.errors] == ["properties.stage"]


def test_a_click_without_cta_id_is_invalid_naming_properties_cta_id() -> None:
    properties = {k: v for k, v in CLICK["properties"].items() if k != "cta_id"}
    with pytest.raises(Invalid) as caught:
        mapped({**CLICK, "properties": properties})
    assert [e["field"] for e in caught.value.errors] == ["properties.cta_id"]


def test_a_form_submitted_track_becomes_an_inquiry_with_email_and_form_id() -> None:
    message = {
        **CLICK,
        "event": "Form Submitted",
        "properties": {"email": "Ada@Example.com", "form_id": "contact"},
    }
    sent = mapped(message)
    assert (sent.type, sent.email, sent.form_id) == (
        "inquiry.submitted",
        "ada@example.com",
        "contact",
    )
    assert sent.utm.campaign == "q4"


def test_a_form_without_email_is_invalid_naming_properties_email() -> None:
    with pytest.raises(Invalid) as caught:
        mapped({**CLICK, "event": "Form Submitted", "properties": {}})
    assert [e["field"] for e in caught.value.errors] == ["properties.email"]


def test_configured_event_names_replace_the_defaults() -> None:
    names = EventNames(click="Button Pressed", form="Lead")
    message = {**CLICK, "event": "Button Pressed"}
    sent = translate(message, names=names, batch_sent_at=None, received_at=RECEIVED)
    assert not isinstance(sent, Skipped) and sent.type == "cta.clicked"
    assert translate(CLICK, names=names, batch_sent_at=None, received_at=RECEIVED) == Skipped(
        "track_other"
    )


def test_identify_with_an_email_trait_identifies_the_visitor() -> None:
    message = {"type": "identify", "anonymousId": "anon-1", "traits": {"email": "a@b.example"}}
    sent = mapped(message)
    assert (sent.type, sent.visitor_id, sent.email) == (
        "visitor.identified",
        "anon-1",
        "a@b.example",
    )


def test_identify_without_an_email_and_other_types_are_skipped_with_a_reason() -> None:
    assert mapped({"type": "identify", "userId": "u1", "traits": {"name": "Ada"}}) == Skipped(
        "identify_without_email"
    )
    assert mapped({"type": "page", "anonymousId": "a"}) == Skipped("page")
    assert mapped({"type": "alias", "userId": "u1", "previousId": "a"}) == Skipped("alias")
    assert mapped({**CLICK, "event": "Video Played"}) == Skipped("track_other")


def test_an_unknown_type_is_invalid_naming_type() -> None:
    with pytest.raises(Invalid) as caught:
        mapped({**CLICK, "type": "purchase"})
    assert [e["field"] for e in caught.value.errors] == ["type"]


def test_a_message_that_is_not_an_object_is_invalid() -> None:
    with pytest.raises(Invalid):
        mapped(["track"])


def test_timestamps_too_far_apart_for_a_date_are_invalid_naming_timestamp() -> None:
    message = {**CLICK, "timestamp": "9825-08-25T07:26:55Z", "sentAt": "1618-03-21T00:55:02Z"}
    with pytest.raises(Invalid) as caught:
        mapped(message)
    assert [e["field"] for e in caught.value.errors] == ["timestamp"]
