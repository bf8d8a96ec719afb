"""Rescoring by replay, pure: the what-if report under new rules and the events that apply it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from schemas.envelope import Event
from schemas.journey import ProspectRescoredV1, StageChangedV1
from services.journey.commands.rescore import apply_to, compare, history, replay, rescored
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.domain.state import MoveStage, Prospect, fold
from services.journey.tables.workset import Workset
from tests.journey.history import T0, Step, click, emit, identify, imported, move, uid

# Thresholds halved: what takes 25 points today takes 12 under these.
LOWER = Rules(thresholds=(0, 12, 37, 75, 125, 200))
HIGHER = Rules(thresholds=(0, 50, 150, 300, 500, 800))


def live(
    steps: Sequence[Step], rules: Rules = DEFAULT_RULES
) -> tuple[dict[str, Prospect], list[Event], list[Event]]:
    """Prospects as the journey service keeps them, the website's events, and the journal."""
    work = Workset(state={}, existing=set(), alias={}, emails={})
    web: list[Event] = []
    journal: list[Event] = []
    for step in steps:
        if isinstance(step, MoveStage):
            pid = work.alias.get(step.prospect_id, step.prospect_id)
            out = emit(work.state.get(pid), step, rules)
            moved = fold(work.state.get(pid), out)
            assert moved is not None
            work.state[pid] = moved
        else:
            web.append(step)
            out = work.apply(step, rules)
        journal += out
    return work.state, web, journal


def what_if(steps: Sequence[Step], rules: Rules) -> tuple[dict[str, Prospect], dict[str, Prospect]]:
    current, web, journal = live(steps)
    return current, replay(history(web, journal), rules)


def test_the_same_rules_change_nothing() -> None:
    steps: list[Step] = [click(1, 20), click(3, 20, 1), click(2, 5, 2, v="v-2")]
    steps.append(move(5, 3, v="v-2"))
    current, replayed = what_if(steps, DEFAULT_RULES)
    report = compare(current, replayed)
    assert report.changes == ()
    assert report.unchanged == 2 and report.unmatched == 0
    assert report.before == report.after == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1, 6: 0}


@pytest.mark.parametrize(
    ("rules", "stage", "points"),
    [
        pytest.param(LOWER, 2, 20, id="lower thresholds lift a 20-point prospect to stage 2"),
        pytest.param(HIGHER, 1, 20, id="higher thresholds leave it in stage 1"),
        pytest.param(Rules(cta_points={"stage1-cta": 30}), 2, 30, id="new base points for a cta"),
    ],
)
def test_new_rules_give_new_stages_and_points(rules: Rules, stage: int, points: int) -> None:
    current, replayed = what_if([click(1, 20)], rules)
    assert current["v-1"].stage == 1
    assert (replayed["v-1"].stage, replayed["v-1"].points) == (stage, points)


# 30, 80 and 10 points.
THREE_PROSPECTS = [
    click(1, 30, v="v-1"),
    click(1, 40, v="v-2"),
    click(1, 40, 1, v="v-2"),
    click(1, 10, v="v-3"),
]


def test_the_report_counts_prospects_per_stage_now_and_after() -> None:
    current, replayed = what_if(THREE_PROSPECTS, HIGHER)
    report = compare(current, replayed)
    # now: 30 → 2, 80 → 3, 10 → 1; under HIGHER: 30 → 1, 80 → 2, 10 → 1
    assert report.before == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0}
    assert report.after == {1: 2, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}
    assert report.moves() == {(2, 1): 1, (3, 2): 1}
    assert report.unchanged == 1


def test_a_higher_stage_cta_still_earns_the_stage_gap_multiplier_under_new_rules() -> None:
    # Stage 1 clicks a stage 3 cta: x2. Under LOWER, 15 points already reach stage 2 first.
    steps = [click(1, 15), click(3, 10, 1)]
    current, replayed = what_if(steps, LOWER)
    assert current["v-1"].points == 15 + 20
    assert replayed["v-1"].points == 15 + 10  # gap 1 from stage 2: x1
    assert replayed["v-1"].stage == 1 + 1  # 25 < 37


def test_a_manual_move_is_replayed_at_its_time() -> None:
    steps: list[Step] = [click(1, 10), move(4, 1), click(1, 10, 2)]
    current, replayed = what_if(steps, HIGHER)
    # The move sets points to stage 4's threshold under the rules in force: 300 here.
    assert (replayed["v-1"].stage, replayed["v-1"].points) == (4, 310)
    assert (current["v-1"].stage, current["v-1"].points) == (4, 160)


def test_an_imported_stage_stays_a_floor() -> None:
    current, replayed = what_if([imported(3, 80)], HIGHER)
    assert current["v-1"].stage == 3
    assert (replayed["v-1"].stage, replayed["v-1"].points) == (3, 80)


def test_merged_prospects_are_replayed_as_one() -> None:
    steps = [
        click(1, 20, 0, v="v-1", email="a@x.io"),
        click(1, 20, 1, v="v-2"),
        identify("a@x.io", 2, v="v-2"),
    ]
    _, replayed = what_if(steps, LOWER)
    assert set(replayed) == {"v-1"}
    assert replayed["v-1"].points == 40 and replayed["v-1"].stage == 3


def test_applying_puts_every_changed_prospect_where_the_replay_does() -> None:
    current, replayed = what_if(THREE_PROSPECTS, HIGHER)
    report = compare(current, replayed)
    rescore = uid("rescore")
    events = rescored(
        report, replayed, rescore=rescore, rules_label="higher.yaml", operator="ops", at=T0
    )
    kinds = [(e.subject_id, e.type) for e in events]
    assert kinds == [
        ("v-1", "prospect.rescored.v1"),
        ("v-1", "stage.changed.v1"),
        ("v-2", "prospect.rescored.v1"),
        ("v-2", "stage.changed.v1"),
    ]
    after = {p.id: p for p in apply_to(current, events)}
    for pid in after:
        assert (after[pid].stage, after[pid].points) == (replayed[pid].stage, replayed[pid].points)
        assert after[pid].periods[-1].stage == replayed[pid].stage
    first = events[0]
    assert isinstance(first, ProspectRescoredV1)
    assert first.points_delta == 0 and first.rescore_id == rescore
    assert isinstance(events[1], StageChangedV1) and events[1].cause == "rescore"
    again = rescored(
        report, replayed, rescore=rescore, rules_label="higher.yaml", operator="ops", at=T0
    )
    assert [e.event_id for e in again] == [e.event_id for e in events]


def test_points_only_changes_emit_no_stage_change() -> None:
    current, replayed = what_if([click(1, 30)], Rules(cta_points={"stage1-cta": 40}))
    report = compare(current, replayed)
    events = rescored(report, replayed, rescore=uid("r"), rules_label="x", operator="o", at=T0)
    assert [e.type for e in events] == ["prospect.rescored.v1"]
    assert isinstance(events[0], ProspectRescoredV1) and events[0].points_delta == 10
