"""Alerts' consumer passes over, unparsed, the journey's and billing's events it does not act
on: those must change nothing when applied, and records it passes over never reach it."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from schemas import topics
from schemas.catalogue import EVENT_TYPES, TOPIC_OF, parse_event, serialize, type_name
from schemas.envelope import Event
from services.alerts.handlers import ACTED_ON, DECIDING, Workset
from services.alerts.state import Alert, Contact, evolve
from services.common.transport import Outgoing, Record, Subscription, deliver

GOLDEN = Path(__file__).parents[1] / "contract" / "golden"
HANDED = [
    type_name(c) for c in EVENT_TYPES if TOPIC_OF[type_name(c)] in (topics.JOURNEY, topics.BILLING)
]


def golden(wire_type: str) -> Event:
    return parse_event((GOLDEN / f"{wire_type}.json").read_bytes())


def test_what_alerts_acts_on_is_among_what_it_is_handed() -> None:
    assert set(HANDED) > ACTED_ON


@pytest.mark.parametrize("wire_type", sorted(set(HANDED) - ACTED_ON))
def test_an_event_passed_over_would_have_changed_nothing(wire_type: str) -> None:
    event = golden(wire_type)
    raised = evolve(None, golden("alert.raised.v1"))
    assert raised is not None
    alert = replace(raised, prospect_id=event.subject_id)
    work = Workset(
        {event.subject_id: Contact(event.subject_id, email="ana@example.com")},
        {event.subject_id: [alert]},
    )
    before = copy.deepcopy(work)

    assert work.apply(event) == []
    assert work == before


def record(event: Event, headers: tuple[tuple[str, bytes], ...]) -> Record:
    return Record(topics.JOURNEY, 0, 0, event.subject_id.encode(), serialize(event), headers)


async def test_records_of_other_types_are_passed_over_and_unlabelled_ones_still_parsed() -> None:
    handed: list[Event] = []

    async def handler(events: Sequence[Event]) -> None:
        handed.extend(events)

    async def dead_letter(_: Sequence[Outgoing]) -> None:
        raise AssertionError("nothing here is poison")

    skipped, awarded = golden("stage.skipped.v1"), golden("points.awarded.v1")
    changed, rescored = golden("stage.changed.v1"), golden("prospect.rescored.v1")
    records = [
        record(skipped, (("type", b"stage.skipped.v1"),)),
        record(changed, (("type", b"stage.changed.v1"),)),
        record(awarded, ()),  # no type header: parsed and handed as before
        record(rescored, (("other", b"x"), ("type", b"prospect.rescored.v1"))),
    ]
    sub = Subscription("alerts-test", (topics.JOURNEY,), handler, types=ACTED_ON)

    await deliver(records, sub, dead_letter)

    assert [e.type for e in handed] == ["stage.skipped.v1", "points.awarded.v1"]
    assert json.loads(serialize(handed[0])) == json.loads(serialize(skipped))


class Untouchable(dict[str, list[Alert]]):
    """Open alerts that were not loaded: any look at them fails the test."""

    def __getitem__(self, key: str) -> list[Alert]:
        raise AssertionError(f"read the open alerts of {key}")

    def get(self, key: str, default: object = None) -> Any:
        raise AssertionError(f"read the open alerts of {key}")

    def setdefault(self, key: str, default: object = None) -> Any:
        raise AssertionError(f"changed the open alerts of {key}")

    def pop(self, key: str, default: object = None) -> Any:
        raise AssertionError(f"moved the open alerts of {key}")


@pytest.mark.parametrize("wire_type", sorted(ACTED_ON - {type_name(c) for c in DECIDING}))
def test_events_that_only_note_contact_details_never_look_at_open_alerts(wire_type: str) -> None:
    """`Workset.load` reads open alerts only for the prospects of DECIDING events."""
    event = golden(wire_type)
    work = Workset({}, Untouchable())

    assert work.apply(event) == []
    assert event.subject_id in work.changed_contacts
