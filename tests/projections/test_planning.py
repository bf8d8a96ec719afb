"""Time per stage on the board, and the consultants' roadmap notes, from their events."""

from __future__ import annotations

import uuid

from schemas.planning import RoadmapNoteRecordedV1
from services.projections.models.board import time_per_stage
from services.projections.models.notes import roadmap_notes
from tests.projections.history import (
    at,
    awarded,
    changed,
    created,
    first_click,
    merged,
    row_after,
    uid,
)


def note(v: str = "v-1", minute: float = 0, text: str = "Phase 1") -> RoadmapNoteRecordedV1:
    return RoadmapNoteRecordedV1(
        event_id=uid("note", v, minute),
        occurred_at=at(minute),
        subject_id=v,
        note_id=uid("note-id", v, minute),
        text=text,
        author="c@example.com",
    )


def test_each_stage_change_closes_the_period_in_the_stage_left_and_opens_the_next() -> None:
    row = row_after(
        first_click(minute=0),
        [awarded(minute=30, total=30), changed(minute=30, old=1, new=2)],
        [awarded(minute=90, total=250, points=220, stage=6), changed(minute=90, old=2, new=5)],
    )

    assert row.stage_periods == ((1, at(0), at(30)), (2, at(30), at(90)), (5, at(90), None))
    assert time_per_stage(row, now=at(150)) == {1: 1800.0, 2: 3600.0, 5: 3600.0}


def test_time_in_a_stage_entered_twice_adds_up() -> None:
    row = row_after(
        [created(stage=3)],
        [changed(minute=10, old=3, new=4), changed(minute=20, old=4, new=3)],
    )

    assert time_per_stage(row, now=at(25)) == {3: 900.0, 4: 600.0}


def test_a_merge_keeps_the_survivors_periods() -> None:
    row = row_after(
        first_click(v="v-1", minute=0),
        first_click(v="v-2", minute=1),
        [
            changed("v-1", minute=5, old=1, new=2),
            merged("v-1", "v-2", 8, email="a@x.io", total=20, stage=2, clicks=1),
        ],
    )

    assert row.stage_periods == ((1, at(0), at(5)), (2, at(5), None))


def test_roadmap_notes_are_read_from_their_events_only_in_log_order() -> None:
    events = [note(minute=1, text="First"), *first_click(), note(minute=2, text="<b>Second</b>")]

    notes = roadmap_notes(events)

    assert [(n.prospect_id, n.text, n.author, n.recorded_at) for n in notes] == [
        ("v-1", "First", "c@example.com", at(1)),
        ("v-1", "<b>Second</b>", "c@example.com", at(2)),
    ]
    assert uuid.UUID(notes[0].note_id) == uid("note-id", "v-1", 1)
