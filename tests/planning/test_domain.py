"""Which prospect ids a roadmap note may be written for, and the note's event."""

from __future__ import annotations

import pytest

from services.planning.domain import (
    Learned,
    MergedAway,
    Prospect,
    UnknownProspect,
    decide_note,
    learn,
)
from tests.planning.history import at, changed, created, merged, write


def test_creations_and_merges_are_learned_and_other_journey_facts_ignored() -> None:
    learned = learn([created("v-1"), changed("v-1"), created("v-2"), merged("v-1", "v-2")])

    assert learned == Learned(created=("v-1", "v-2"), merges=(("v-2", "v-1"),))


def test_a_note_for_a_known_prospect_records_its_text_author_and_time() -> None:
    note = decide_note(Prospect("v-1"), write("v-1", "Phase 1"))

    assert (note.subject_id, note.text, note.author, note.occurred_at) == (
        "v-1",
        "Phase 1",
        "ana@example.com",
        at(10),
    )
    assert note.type == "roadmap_note.recorded.v1"


def test_the_same_command_gives_the_same_note_and_event_ids() -> None:
    first = decide_note(Prospect("v-1"), write("v-1", command="c-7"))
    again = decide_note(Prospect("v-1"), write("v-1", command="c-7"))
    other = decide_note(Prospect("v-1"), write("v-1", command="c-8"))

    assert (first.event_id, first.note_id) == (again.event_id, again.note_id)
    assert first.note_id != other.note_id and first.event_id != other.event_id


def test_a_note_for_an_id_the_journey_never_created_is_refused() -> None:
    with pytest.raises(UnknownProspect, match="no prospect 'v-typo' on the board"):
        decide_note(None, write("v-typo"))


def test_a_note_for_an_id_merged_away_is_refused_naming_the_survivor() -> None:
    with pytest.raises(MergedAway, match="'v-2' was merged into 'v-1'") as refused:
        decide_note(Prospect("v-2", merged_into="v-1"), write("v-2"))

    assert refused.value.survivor == "v-1"
