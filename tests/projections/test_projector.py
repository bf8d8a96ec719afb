"""The board's projector: given the journey's events, then the board's rows."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.envelope import Event
from services.journey.domain.state import Prospect, fold
from services.projections.models.board import EMPTY, project, stage_name
from tests.journey import history as journey
from tests.projections.history import (
    at,
    awarded,
    board_after,
    captured,
    changed,
    created,
    entry,
    first_click,
    linked,
    merged,
    moved,
    row_after,
    skipped,
)


def test_a_first_click_puts_the_prospect_in_stage_1_with_its_entry_point() -> None:
    row = row_after(first_click(minute=3, cta="pricing", campaign="spring"))

    assert (row.stage, row.points, row.clicks) == (1, 10, 1)
    assert row.entered_stage_at == row.created_at == row.last_activity_at == at(3)
    assert (row.entry_kind, row.entry_cta_id, row.entry_cta_label) == ("cta", "pricing", "Pricing")
    assert row.entry_page == "https://example.com/pricing"
    assert (row.utm_source, row.utm_medium, row.utm_campaign) == ("google", "cpc", "spring")
    assert row.entry_captured_at == at(3)


def test_a_click_that_jumps_several_stages_moves_the_prospect_and_restarts_its_time_in_stage() -> (
    None
):
    jump = [
        skipped(minute=20, current=1, target=4),
        awarded(minute=20, total=90, points=80, stage=4),
        changed(minute=20, old=1, new=3),
    ]
    row = row_after(first_click(), jump)

    assert (row.stage, row.points, row.clicks) == (3, 90, 2)
    assert row.entered_stage_at == at(20)
    assert row.created_at == at(0)


def test_a_later_click_in_the_same_stage_keeps_the_time_the_stage_was_entered() -> None:
    row = row_after(
        first_click(),
        [awarded(minute=5, total=30), changed(minute=5, old=1, new=2)],
        [awarded(minute=50, total=40)],
    )

    assert (row.stage, row.points) == (2, 40)
    assert row.entered_stage_at == at(5)
    assert row.last_activity_at == at(50)


def test_an_inquiry_replaces_the_entry_point_and_links_the_email() -> None:
    row = row_after(
        first_click(cta="webinar"),
        [linked(minute=9, email="a@x.io"), captured(minute=9, cta="contact", kind="inquiry")],
    )

    assert row.email == "a@x.io"
    assert (row.entry_kind, row.entry_form_id, row.entry_cta_id) == ("inquiry", "contact", None)
    assert row.last_activity_at == at(9)


def test_an_imported_prospect_has_no_entry_point_and_keeps_its_stage_and_points() -> None:
    row = row_after([created(stage=4, points=160, email="old@x.io", imported=True)])

    assert (row.stage, row.points, row.imported, row.email) == (4, 160, True, "old@x.io")
    assert row.entry_kind is None and row.utm_campaign is None


def test_a_manual_move_changes_stage_and_points_but_is_not_the_prospects_activity() -> None:
    row = row_after(first_click(), moved(minute=30, old=1, new=4, delta=140))

    assert (row.stage, row.points) == (4, 150)
    assert row.entered_stage_at == at(30)
    assert row.last_activity_at == at(0)


def test_a_merge_removes_the_merged_prospect_and_sums_into_the_survivor() -> None:
    email = "a@x.io"
    board = board_after(
        first_click("v-old", 0, cta="webinar"),
        first_click("v-new", 10, cta="pricing"),
        [awarded("v-new", 11, total=20)],
        [
            merged("v-old", "v-new", 12, email=email, total=30, stage=2, clicks=2),
            changed("v-old", 12, old=1, new=2),
        ],
    )

    assert set(board.rows) == {"v-old"}
    assert board.merged == {"v-new": "v-old"}
    survivor = board.rows["v-old"]
    assert (survivor.stage, survivor.points, survivor.clicks) == (2, 30, 3)
    assert survivor.email == email
    assert survivor.entry_cta_id == "webinar", "the survivor keeps its own entry point"
    assert survivor.entered_stage_at == at(12)


def test_a_survivor_without_an_entry_point_takes_the_merged_ones_latest() -> None:
    later = entry("contact", 8, kind="inquiry")
    merge = merged(
        "v-1", "v-2", 9, email="a@x.io", total=10, entry_points=[entry("blog", 5), later]
    )
    identified_first = row_after([created(email="a@x.io")], [merge])
    imported = row_after([created(email="a@x.io", imported=True)], [merge])

    assert (identified_first.entry_kind, identified_first.entry_form_id) == ("inquiry", "contact")
    assert imported.entry_kind is None, "an imported prospect keeps its NULL entry point"


def test_events_of_a_merged_away_id_give_the_same_board_before_or_after_the_merge() -> None:
    gone = [*first_click("v-2", 1), awarded("v-2", 2, total=20)]
    merge = [merged("v-1", "v-2", 3, email="a@x.io", total=30, clicks=2)]
    survivor = first_click("v-1", 0)

    in_log_order = board_after(survivor, gone, merge)
    merged_partition_late = board_after(survivor, merge, gone)

    assert in_log_order == merged_partition_late
    assert set(in_log_order.rows) == {"v-1"}
    assert in_log_order.rows["v-1"].clicks == 3


def test_a_late_merge_into_a_survivor_merged_away_since_still_removes_the_merged_row() -> None:
    board = board_after(
        first_click("v-1", 0),
        first_click("v-2", 1),
        first_click("v-3", 2),
        [merged("v-1", "v-2", 5, email="a@x.io", total=30, clicks=2)],  # v-2 -> v-1 after ...
        [merged("v-2", "v-3", 4, email="a@x.io", total=20, clicks=1)],  # ... v-3 -> v-2, read late
    )

    assert set(board.rows) == {"v-1"}
    assert board.merged == {"v-2": "v-1", "v-3": "v-2"}
    assert board.rows["v-1"].clicks == 3


def test_events_without_a_prospect_and_events_the_board_does_not_show_change_nothing() -> None:
    before = board_after(first_click())
    after = project(
        before,
        [
            awarded("v-unknown", 1, total=10),
            created("v-1", 2, stage=5),
            skipped(minute=3, current=1, target=4),
        ],
    )

    assert after == before
    assert project(before, []) is not before, "a new board; the one given is left as it was"


def test_stage_names_are_the_defaults_unless_the_names_are_given() -> None:
    assert [stage_name(s) for s in (1, 6)] == ["Call to Discovery", "Mastery"]
    assert stage_name(2, ("a", "b", "c", "d", "e", "f")) == "b"


def journey_events(steps: Sequence[journey.Step]) -> tuple[Prospect, list[Event]]:
    state: Prospect | None = None
    events: list[Event] = []
    for step in steps:
        emitted = journey.emit(state, step)
        events += emitted
        state = fold(state, emitted)
    assert state is not None
    return state, events


def test_the_row_agrees_with_the_journeys_own_state_after_its_rules_ran() -> None:
    prospect, events = journey_events(
        [
            journey.click(1, 10, minute=0, cta="webinar"),
            journey.click(4, 20, minute=30, cta="demo"),
            journey.inquiry("contact", minute=40),
            journey.move(6, minute=60),
            journey.click(2, 5, minute=90, cta="guide"),
        ]
    )
    row = project(EMPTY, events).rows["v-1"]

    assert (row.stage, row.points, row.clicks, row.email) == (
        prospect.stage,
        prospect.points,
        prospect.clicks,
        prospect.email,
    )
    assert row.stage == 6 and row.entered_stage_at == prospect.periods[-1].entered_at == at(60)
    assert prospect.entry_point is not None
    assert (row.entry_kind, row.entry_form_id) == ("inquiry", prospect.entry_point.form_id)
    assert row.last_activity_at == at(90)
