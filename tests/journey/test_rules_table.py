"""Journey rules as tables: given a history of website events, when one more arrives, then..."""

from __future__ import annotations

import uuid

import pytest

from schemas.envelope import Event
from schemas.journey import (
    PointsAwardedV1,
    ProspectMovedManuallyV1,
    ProspectsMergedV1,
    StageChangedV1,
    StageSkippedV1,
)
from schemas.values import EntryPoint, Utm
from services.journey.domain.decisions import Refused, decide, decide_move
from services.journey.domain.rules import DEFAULT_RULES, Rules, decayed
from services.journey.domain.state import MoveStage, Period, fold
from tests.journey.history import (
    DAY,
    T0,
    A,
    Step,
    at,
    at_stage,
    click,
    emit,
    given,
    identify,
    imported,
    inquiry,
    label,
    move,
    prior,
    the,
    uid,
)

DECAY = Rules(half_life_days=10)
P = pytest.param


# fmt: off
POINTS = [
    P(1, 1, 10, 10, id="same stage: x1"),
    P(1, 2, 10, 10, id="next stage (gap 1): x1"),
    P(2, 4, 10, 20, id="stage 2 clicks stage 4: x2"),
    P(1, 6, 10, 50, id="stage 1 clicks stage 6: x5"),
    P(3, 6, 50, 150, id="top base points, gap 3: x3"),
    P(5, 2, 7, 7, id="cta below the current stage: x1"),
]
PROGRESSION = [
    P([click(1, 24)], 1, id="24 points stay in stage 1"),
    P([click(1, 25)], 2, id="exactly 25 points enter stage 2"),
    P([click(1, 30), click(1, 45, 1)], 3, id="points accumulate to 75"),
    P([click(4, 50)], 4, id="one click climbs from stage 1 to 4"),
    P([click(6, 1)], 1, id="a far cta with few points does not move the stage"),
    P([click(1, 25), move(5, 1), click(1, 1, 2)], 5, id="a low cta keeps stage 5"),
]
SKIPS = [
    P(1, 2, None, id="gap 1: no skip"),
    P(3, 4, None, id="gap 1 higher up: no skip"),
    P(4, 2, None, id="backwards: no skip"),
    P(1, 3, 2, id="stage 1 clicks stage 3: gap 2"),
    P(2, 5, 3, id="stage 2 clicks stage 5: gap 3"),
    P(2, 6, 4, id="stage 2 clicks stage 6: gap 4"),
]
ENTRY_POINTS = [
    P([click(1, cta="a"), click(2, 1, 1, "b")], "cta:a", ["cta:a"], id="a later click keeps it"),
    P([imported(1, 0), click(1, 1, 1)], None, [], id="an import stays NULL after a click"),
    P([imported(1, 0), inquiry("f", 1)], "inquiry:f", ["inquiry:f"], id="inquiry fills NULL"),
    P([click(1, cta="a"), inquiry("f", 1)], "inquiry:f", ["cta:a", "inquiry:f"],
      id="an inquiry replaces a click's"),
    P([click(1, cta="a"), inquiry("f", 1), click(1, 1, 2, "b")], "inquiry:f",
      ["cta:a", "inquiry:f"], id="a click after an inquiry keeps the inquiry's"),
    P([inquiry("f"), click(1, 1, 1, "a")], "inquiry:f", ["inquiry:f"], id="an inquiry came first"),
    P([inquiry("f"), inquiry("g", 1)], "inquiry:g", ["inquiry:f", "inquiry:g"],
      id="every inquiry captures"),
    P([identify(A), click(1, 1, 1, "a")], "cta:a", ["cta:a"], id="identified, then first click"),
]
MERGES = [  # v-1 history, v-2 history, trigger; then survivor, points, stage, entry, history
    P([click(1, 10, email=A)], [click(1, 20, 5, "b", "v-2")], identify(A, 6, "v-2"),
      ("v-1", 30, 2, "cta:stage1-cta", ["cta:stage1-cta", "cta:b"]), id="elder survives, sum"),
    P([click(1, 10, 5)], [click(1, 20, 0, "b", "v-2", A)], identify(A, 6),
      ("v-2", 30, 2, "cta:b", ["cta:b", "cta:stage1-cta"]), id="the elder is the other one"),
    P([click(1, 10)], [click(1, 20, 0, "b", "v-2", A)], identify(A, 6),
      ("v-1", 30, 2, "cta:stage1-cta", ["cta:stage1-cta", "cta:b"]), id="same time: lower id"),
    P([click(1, 10, email=A)], [imported(5, 0, 5, "v-2")], identify(A, 6, "v-2"),
      ("v-1", 10, 5, "cta:stage1-cta", ["cta:stage1-cta"]), id="merged one's higher stage"),
    P([click(1, 50, email=A), click(1, 20, 1, "c")], [click(1, 10, 5, "b", "v-2")],
      identify(A, 6, "v-2"), ("v-1", 80, 3, "cta:stage1-cta", ["cta:stage1-cta", "cta:b"]),
      id="summed points raise the stage"),
    P([identify(A)], [click(1, 10, 1, "b", "v-2"), inquiry("f", 2, "v-2", "b@x.io")],
      identify(A, 3, "v-2"), ("v-1", 10, 1, "inquiry:f", ["cta:b", "inquiry:f"]),
      id="a survivor without one takes the merged one's current entry point"),
    P([imported(1, 30, email=A)], [click(1, 10, 1, "b", "v-2")], identify(A, 3, "v-2"),
      ("v-1", 40, 2, None, ["cta:b"]), id="an imported survivor keeps NULL"),
    P([click(1, 10, email=A), inquiry("f", 10)], [click(1, 10, 5, "b", "v-2")],
      identify(A, 20, "v-2"), ("v-1", 20, 1, "inquiry:f", ["cta:stage1-cta", "cta:b", "inquiry:f"]),
      id="histories sorted by time"),
]
MOVES = [
    P([click(1, 10)], 4, 150, id="up from 10 points: raised to the threshold"),
    P([click(1, 10)], 6, 400, id="up to the last stage: raised to 400"),
    P([click(1, 50), click(1, 10, 1)], 3, 75, id="up from stage 2: raised to 75"),
    P([click(4, 50), click(1, 30, 1)], 2, 25, id="down from 180: set to 25"),
    P([click(1, 40)], 1, 0, id="down to stage 1: set to 0"),
]
PERIODS = [
    P([click(1, 1), click(1, 30, 5)], [(1, 0, 5), (2, 5, None)], id="points close the period"),
    P([click(1, 1), click(4, 50, 5)], [(1, 0, 5), (4, 5, None)], id="a jump is one period"),
    P([click(1, 30), move(1, 10), move(2, 20)], [(1, 0, 0), (2, 0, 10), (1, 10, 20), (2, 20, None)],
      id="re-entry after a manual move is a new period"),
    P([imported(3, 80)], [(3, 0, None)], id="an import opens its stage"),
]
REFUSALS = [
    P([], 3, "no prospect with id 'v-1'", id="unknown prospect"),
    P([click(1)], 0, "stage must be 1 to 6, not 0", id="stage 0"),
    P([click(1)], 7, "stage must be 1 to 6, not 7", id="stage 7"),
    P([click(1)], 1, "already in stage 1", id="same stage"),
]
LINEAGE = [
    P([click(3, cta="x")], id="first click with a skip and a stage change"),
    P([click(1, 25), inquiry("f", 1)], id="inquiry"),
    P([identify(A), identify("b@x.io", 1)], id="identify"),
    P([imported(2, 30)], id="import"),
    P([click(1), move(4, 1)], id="manual move"),
]
DECAYED = [
    P(100, 10, 10.0, 50, id="one half-life halves"),
    P(100, 20, 10.0, 25, id="two half-lives quarter"),
    P(100, 5, 10.0, 70, id="half a half-life floors 70.7"),
    P(3, 10, 10.0, 1, id="integer floor of 1.5"),
    P(100, 0, 10.0, 100, id="no time, no decay"),
    P(100, -3, 10.0, 100, id="an older event does not decay"),
    P(100, 365, None, 100, id="decay off by default"),
]
DECAY_ON_CLICKS = [
    P(DECAY, 10 * DAY, 50, 51, id="ten days at a 10-day half-life"),
    P(DECAY, 30 * DAY, 88, 13, id="thirty days keeps stage 3"),
    P(DECAY, -DAY, 0, 101, id="a late older click decays nothing"),
    P(DEFAULT_RULES, 30 * DAY, 0, 101, id="decay off"),
]
# fmt: on


@pytest.mark.parametrize(("stage", "cta_stage", "base", "awarded"), POINTS)
def test_a_click_earns_base_points_times_the_gap_and_never_less_than_base(
    stage: int, cta_stage: int, base: int, awarded: int
) -> None:
    before, _ = given(at_stage(stage))
    after, events = given([*at_stage(stage), click(cta_stage, base, minute=10)])
    award = the(PointsAwardedV1, events)
    gap = cta_stage - stage
    assert (award.stage_before, award.gap, award.multiplier) == (stage, gap, max(1, gap))
    assert (award.points, award.total_points) == (awarded, before.points + awarded)
    assert after.points == before.points + awarded


@pytest.mark.parametrize(("steps", "stage"), PROGRESSION)
def test_the_stage_is_the_highest_whose_threshold_the_points_reach_and_never_drops(
    steps: list[Step], stage: int
) -> None:
    before = prior(steps)
    after, events = given(steps)
    old = before.stage if before else 1
    changes = [(e.old_stage, e.new_stage, e.cause) for e in events if isinstance(e, StageChangedV1)]
    assert after.stage == stage
    assert changes == ([(old, stage, "points")] if stage != old else [])


@pytest.mark.parametrize(("stage", "cta_stage", "gap"), SKIPS)
def test_a_click_beyond_the_next_stage_emits_a_skip(
    stage: int, cta_stage: int, gap: int | None
) -> None:
    when = click(cta_stage, minute=10)
    _, events = given([*at_stage(stage), when])
    skips = [
        (e.current_stage, e.target_stage, e.gap, e.click_event_id)
        for e in events
        if isinstance(e, StageSkippedV1)
    ]
    assert skips == ([] if gap is None else [(stage, cta_stage, gap, when.event_id)])


def test_a_stage2_prospect_clicking_a_stage4_cta_earns_double_points_and_skips_with_gap_2() -> None:
    prospect, events = given([click(1, 25), click(4, 10, minute=5)])
    skip = the(StageSkippedV1, events)
    assert the(PointsAwardedV1, events).points == 20
    assert (skip.current_stage, skip.target_stage, skip.gap) == (2, 4, 2)
    assert (prospect.stage, prospect.points) == (2, 45)


def test_a_stage1_prospect_clicking_a_stage6_cta_skips_with_gap_5() -> None:
    prospect, events = given([click(1, 1), click(6, 10, minute=5)])
    skip = the(StageSkippedV1, events)
    assert (skip.current_stage, skip.target_stage, skip.gap) == (1, 6, 5)
    assert label(skip.entry_point) == "cta:stage1-cta"
    assert (prospect.stage, prospect.points) == (2, 51)


def test_the_first_click_captures_every_part_of_the_entry_point() -> None:
    prospect, _ = given([click(2, cta="pricing", minute=3)])
    assert prospect.entry_point == EntryPoint(
        kind="cta",
        cta_id="pricing",
        cta_label="Pricing",
        page="https://example.com/pricing",
        utm=Utm(source="google", medium="cpc", campaign="q4"),
        captured_at=at(3),
    )


@pytest.mark.parametrize(("steps", "current", "history"), ENTRY_POINTS)
def test_entry_points_are_captured_on_the_first_click_and_on_every_inquiry(
    steps: list[Step], current: str | None, history: list[str]
) -> None:
    prospect, _ = given(steps)
    assert label(prospect.entry_point) == current
    assert [label(e) for e in prospect.entry_point_history] == history


Then = tuple[str, int, int, str | None, list[str]]


@pytest.mark.parametrize(("first", "second", "trigger", "then"), MERGES)
def test_two_visitors_with_one_email_merge_into_the_elder(
    first: list[Step], second: list[Step], trigger: Event, then: Then
) -> None:
    survivor, points, stage, entry, history = then
    one, two = given(first)[0], given(second)[0]
    prospect, other = (one, two) if trigger.subject_id == one.id else (two, one)
    events = decide(prospect, trigger, same_email=other)
    merge = the(ProspectsMergedV1, events)
    elder, younger = (one, two) if merge.subject_id == one.id else (two, one)
    merged = fold(elder, events)
    assert merged is not None
    assert (merge.subject_id, merge.merged_id, merge.email) == (survivor, younger.id, A)
    assert (merge.total_points, merge.merged_points) == (points, younger.points)
    assert (merged.id, merged.points, merged.stage, merged.email) == (survivor, points, stage, A)
    assert label(merged.entry_point) == entry
    assert [label(e) for e in merged.entry_point_history] == history


def test_an_import_never_touches_a_prospect_already_known_by_id_or_email() -> None:
    known, _ = given([click(1, email=A)])
    assert decide(known, imported(3, 80, 5)) == []
    assert decide(None, imported(3, 80, 5, "v-9", A), same_email=known) == []


def test_an_import_creates_a_prospect_without_entry_point_at_the_higher_of_its_stages() -> None:
    prospect, _ = given([imported(2, 160)])
    assert (prospect.stage, prospect.points, prospect.imported) == (4, 160, True)
    assert prospect.entry_point is None


@pytest.mark.parametrize(("steps", "to", "points"), MOVES)
def test_a_manual_move_goes_to_any_stage_and_brings_points_to_its_threshold(
    steps: list[Step], to: int, points: int
) -> None:
    before, _ = given(steps)
    after, events = given([*steps, move(to, minute=30)])
    moved, change = the(ProspectMovedManuallyV1, events), the(StageChangedV1, events)
    assert (moved.from_stage, moved.to_stage, moved.consultant) == (before.stage, to, "ann@crm.io")
    assert moved.reason == change.reason == "phoned them"
    assert moved.points_delta == points - before.points
    assert (change.old_stage, change.new_stage) == (before.stage, to)
    assert (change.cause, change.changed_by) == ("manual", "ann@crm.io")
    assert (after.stage, after.points) == (to, points)


def test_a_click_after_a_move_down_does_not_undo_the_move() -> None:
    prospect, _ = given([click(4, 50), move(2, 1), click(1, 10, 2)])
    assert (prospect.stage, prospect.points) == (2, 35)


@pytest.mark.parametrize(("steps", "to", "message"), REFUSALS)
def test_a_manual_move_the_rules_do_not_allow_is_refused_with_the_reason(
    steps: list[Step], to: int, message: str
) -> None:
    prospect = given(steps)[0] if steps else None
    with pytest.raises(Refused, match=message):
        decide_move(prospect, move(to, minute=5))


@pytest.mark.parametrize("steps", LINEAGE)
def test_output_events_have_ids_derived_from_their_cause_and_carry_its_lineage(
    steps: list[Step],
) -> None:
    state, cause = prior(steps), steps[-1]
    events, again = emit(state, cause), emit(state, cause)
    cause_id = cause.command_id if isinstance(cause, MoveStage) else cause.event_id
    assert events and events == again
    assert len({e.event_id for e in events}) == len(events)
    assert all(e.causation_id == cause_id and e.correlation_id == cause_id for e in events)
    assert all(e.event_id.version == 5 for e in events)


def test_a_points_award_id_is_uuid5_of_the_click_and_keeps_the_click_correlation() -> None:
    first = click(1, 10).model_copy(update={"correlation_id": uid("session")})
    award = the(PointsAwardedV1, decide(None, first))
    assert award.event_id == uuid.uuid5(first.event_id, "points")
    assert (award.correlation_id, award.causation_id) == (uid("session"), first.event_id)


@pytest.mark.parametrize(("points", "days", "half_life", "left"), DECAYED)
def test_points_halve_every_half_life_of_event_time(
    points: int, days: int, half_life: float | None, left: int
) -> None:
    assert decayed(points, T0, at(days * DAY), half_life) == left


@pytest.mark.parametrize(("rules", "when", "lost", "total"), DECAY_ON_CLICKS)
def test_decay_is_recorded_on_the_award_and_never_lowers_the_stage(
    rules: Rules, when: int, lost: int, total: int
) -> None:
    steps: list[Step] = [click(1, 50, cta="a"), click(1, 50, cta="b"), click(1, 1, when, cta="c")]
    prospect, events = given(steps, rules)
    award = the(PointsAwardedV1, events)
    assert (award.decayed, award.total_points) == (lost, total)
    assert (prospect.points, prospect.stage) == (total, 3)
    assert given(steps, rules) == (prospect, events)


def test_a_merge_restarts_the_decay_clock_so_points_decay_only_once() -> None:
    one, _ = given([click(1, 40, email=A)], DECAY)
    two, _ = given([click(1, 40, 10 * DAY, "b", "v-2")], DECAY)
    merged = fold(one, decide(two, identify(A, 10 * DAY, "v-2"), DECAY, same_email=one))
    assert merged is not None and (merged.points, merged.points_as_of) == (60, at(10 * DAY))
    award = the(PointsAwardedV1, decide(merged, click(1, 1, 10 * DAY, "c"), DECAY))
    assert (award.decayed, award.total_points) == (0, 61)


@pytest.mark.parametrize(("steps", "periods"), PERIODS)
def test_each_stage_entered_is_a_period_closed_when_the_next_stage_is_entered(
    steps: list[Step], periods: list[tuple[int, int, int | None]]
) -> None:
    prospect, _ = given(steps)
    assert list(prospect.periods) == [
        Period(stage, at(start), None if end is None else at(end)) for stage, start, end in periods
    ]


def test_frequent_clicks_decay_no_faster_than_the_half_life_says() -> None:
    steps: list[Step] = [click(1, 1, minute, cta=f"c{minute}") for minute in range(50)]
    prospect, _ = given(steps, Rules(half_life_days=30))
    exact = sum(0.5 ** ((49 - minute) / (30 * 24 * 60)) for minute in range(50))
    assert prospect.points == int(exact) == 49
    assert abs(prospect.points + prospect.thousandths / 1000 - exact) < 0.001 * 50
