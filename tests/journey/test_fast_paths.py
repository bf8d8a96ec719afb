"""The journey's fast paths give what the plain ones give: events built without validation are
the events validation makes, journal entries are the catalogue's serialization, the stage
lookup by bisect is the scan over thresholds, derived ids are the standard uuid5."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.catalogue import TOPIC_OF, serialize
from schemas.envelope import Event
from schemas.journey import StageChangedV1
from schemas.stages import STAGES
from services.common.journal import entries
from services.common.transport import Outgoing
from services.journey.domain.decisions import decide
from services.journey.domain.derived import built, derived
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.domain.state import Prospect, fold
from tests.journey.history import click

DECAY_AND_OVERRIDES = Rules(half_life_days=2, cta_points={"stage3-cta": 7, "stage6-cta": 50})
clicks = st.lists(
    st.tuples(
        st.sampled_from(["v-1", "v-2"]),
        st.integers(1, 6),
        st.integers(1, 50),
        st.sampled_from(["", "a@x.io", "b@x.io"]),
    ),
    min_size=1,
    max_size=25,
)


def decided_history(steps: list[tuple[str, int, int, str]], rules: Rules) -> list[Event]:
    state: dict[str, Prospect | None] = {}
    out: list[Event] = []
    for minute, (visitor, stage, base, email) in enumerate(steps):
        event = click(stage, base, minute * 600, v=visitor, email=email)
        decided = decide(state.get(visitor), event, rules)
        state[visitor] = fold(state.get(visitor), decided)
        out += decided
    return out


@settings(max_examples=150, deadline=None)
@given(clicks, st.sampled_from([DEFAULT_RULES, DECAY_AND_OVERRIDES]))
def test_every_event_a_click_decides_is_what_validation_makes_of_it(
    steps: list[tuple[str, int, int, str]], rules: Rules
) -> None:
    for event in decided_history(steps, rules):
        validated = type(event).model_validate(event.model_dump(exclude_unset=True))
        assert event == validated
        assert repr(event) == repr(validated)  # fields in the same order
        assert event.model_fields_set == validated.model_fields_set
        assert event.model_dump_json() == validated.model_dump_json()


def test_building_an_event_without_a_required_field_is_refused() -> None:
    head = derived("v-1", uuid.uuid4(), click(2).occurred_at, None)
    with pytest.raises(TypeError, match="new_stage"):
        built(StageChangedV1, head("stage"), old_stage=1, cause="points")


@settings(max_examples=50, deadline=None)
@given(clicks)
def test_journal_entries_are_the_catalogue_serialization(
    steps: list[tuple[str, int, int, str]],
) -> None:
    events = decided_history(steps, DEFAULT_RULES)
    written = entries(events)
    for event, row, message in zip(events, written.rows, written.messages, strict=True):
        assert row == (
            str(event.event_id),
            event.subject_id,
            event.type,
            event.occurred_at,
            event.model_dump_json(),  # the reference the fast paths must equal
        )
        assert message.value == serialize(event) == event.model_dump_json().encode()
        assert message.topic == TOPIC_OF[event.type]
        assert message == Outgoing.of(event)  # key and headers too


def scanned_stage(rules: Rules, points: int) -> int:
    return max(s for s, t in zip(STAGES, rules.thresholds, strict=True) if points >= t)


@given(
    st.lists(st.integers(1, 1000), min_size=5, max_size=5, unique=True).map(sorted),
    st.integers(0, 1200),
)
def test_the_stage_for_points_is_the_highest_threshold_reached(
    upper: list[int], points: int
) -> None:
    rules = Rules(thresholds=(0, *upper))
    assert rules.stage_for(points) == scanned_stage(rules, points)


def test_the_default_stages_at_and_around_each_threshold() -> None:
    for points in range(0, 500):
        assert DEFAULT_RULES.stage_for(points) == scanned_stage(DEFAULT_RULES, points)
    assert [DEFAULT_RULES.stage_for(t) for t in DEFAULT_RULES.thresholds] == [1, 2, 3, 4, 5, 6]


@given(st.uuids(), st.sampled_from(["created", "points", "skip", "stage", "entry_point"]))
def test_derived_event_ids_are_uuid5_of_the_cause_and_kind(cause: uuid.UUID, kind: str) -> None:
    head = derived("v-1", cause, click(1).occurred_at, None)
    assert head(kind)["event_id"] == uuid.uuid5(cause, kind)
    assert str(head(kind)["event_id"]) == str(uuid.uuid5(cause, kind))
