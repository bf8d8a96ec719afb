"""Properties of the journey rules over random histories of two visitors sharing two emails."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.envelope import Event
from schemas.journey import (
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectMovedManuallyV1,
    ProspectsMergedV1,
    StageChangedV1,
)
from services.journey.domain.decisions import Refused, decide, decide_move
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.domain.state import MoveStage, Prospect, fold, merged_away
from tests.journey.history import DAY, click, identify, imported, inquiry, move, uid

DECAY = Rules(half_life_days=3)


@dataclass(frozen=True)
class Click:
    visitor: str
    stage: int
    base: int
    email: str | None


@dataclass(frozen=True)
class Inquiry:
    visitor: str
    email: str


@dataclass(frozen=True)
class Identify:
    visitor: str
    email: str


@dataclass(frozen=True)
class Import:
    visitor: str
    stage: int
    points: int
    email: str | None


@dataclass(frozen=True)
class Move:
    visitor: str
    to: int


Action = Click | Inquiry | Identify | Import | Move


def actions(visitors: list[str]) -> st.SearchStrategy[Action]:
    who, emails = st.sampled_from(visitors), st.sampled_from(["a@x.io", "b@x.io"])
    clicks = st.builds(Click, who, st.integers(1, 6), st.integers(1, 50), st.none() | emails)
    return st.one_of(
        clicks,
        clicks,
        st.builds(Inquiry, who, emails),
        st.builds(Identify, who, emails),
        st.builds(Import, who, st.integers(1, 6), st.integers(0, 500), st.none() | emails),
        st.builds(Move, who, st.integers(1, 6)),
    )


TWO_VISITORS = actions(["v-1", "v-2"])


@st.composite
def histories(
    draw: st.DrawFn, actions: st.SearchStrategy[Action] = TWO_VISITORS
) -> list[tuple[int, Action]]:
    steps = draw(st.lists(actions, min_size=1, max_size=25))
    gaps = draw(st.lists(st.integers(0, 4 * DAY), min_size=len(steps), max_size=len(steps)))
    times = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    if draw(st.booleans()):
        times = draw(st.permutations(times))
    return list(zip(times, steps, strict=True))


def as_input(n: int, minute: int, action: Action) -> Event | MoveStage:
    made: Event | MoveStage
    match action:
        case Click(v, stage, base, email):
            made = click(stage, base, minute, f"cta-{stage}", v, email or "")
        case Inquiry(v, email):
            made = inquiry("contact", minute, v, email)
        case Identify(v, email):
            made = identify(email, minute, v)
        case Import(v, stage, points, email):
            made = imported(stage, points, minute, v, email or "")
        case Move(v, to):
            return replace(move(to, minute, v), command_id=uid("step", n))
    return made.model_copy(update={"event_id": uid("step", n)})


@dataclass
class World:
    """What a store does around the rules: find the prospect, find who else has the email."""

    rules: Rules
    prospects: dict[str, Prospect] = field(default_factory=dict)
    survivor_of: dict[str, str] = field(default_factory=dict)
    emitted: list[Event] = field(default_factory=list)

    def find(self, visitor: str) -> Prospect | None:
        while visitor in self.survivor_of:
            visitor = self.survivor_of[visitor]
        return self.prospects.get(visitor)

    def known_by(self, email: str | None, besides: str) -> Prospect | None:
        live = (p for p in self.prospects.values() if p.merged_into is None and p.id != besides)
        return next((p for p in live if email and p.email == email), None)

    def decide(self, step: Event | MoveStage) -> list[Event]:
        if isinstance(step, MoveStage):
            return decide_move(self.find(step.prospect_id), step, self.rules)
        prospect = self.find(step.subject_id)
        other = self.known_by(
            getattr(step, "email", None), prospect.id if prospect else step.subject_id
        )
        return decide(prospect, step, self.rules, same_email=other)

    def apply(self, events: list[Event]) -> None:
        if not events:
            return
        subject = events[0].subject_id
        assert {e.subject_id for e in events} == {subject}
        state = fold(self.prospects.get(subject), events)
        assert state is not None
        self.prospects[subject] = state
        self.emitted += events
        for merge in (e for e in events if isinstance(e, ProspectsMergedV1)):
            self.survivor_of[merge.merged_id] = subject
            if merge.merged_id in self.prospects:
                gone = self.prospects[merge.merged_id]
                self.prospects[merge.merged_id] = merged_away(gone, merge)

    def live(self) -> list[Prospect]:
        return [p for p in self.prospects.values() if p.merged_into is None]


def play(history: list[tuple[int, Action]], rules: Rules) -> World:
    world = World(rules)
    for n, (minute, action) in enumerate(history):
        try:
            world.apply(world.decide(as_input(n, minute, action)))
        except Refused:
            assert isinstance(action, Move)
    return world


def contribution(event: Event) -> int:
    if isinstance(event, ProspectCreatedV1):
        return event.points
    if isinstance(event, PointsAwardedV1):
        return event.points - event.decayed
    if isinstance(event, ProspectMovedManuallyV1):
        return event.points_delta
    if isinstance(event, ProspectsMergedV1):
        return event.merged_points - event.decayed
    return 0


RULES = st.sampled_from([DEFAULT_RULES, DECAY])
CHECK = settings(max_examples=200, deadline=None)


@CHECK
@given(histories(), RULES)
def test_stages_never_decrease_except_through_a_manual_move(
    history: list[tuple[int, Action]], rules: Rules
) -> None:
    world = World(rules)
    for n, (minute, action) in enumerate(history):
        before = {p.id: p.stage for p in world.live()}
        try:
            events = world.decide(as_input(n, minute, action))
        except Refused:
            continue
        world.apply(events)
        moved = {e.subject_id for e in events if isinstance(e, ProspectMovedManuallyV1)}
        for pid, stage in before.items():
            now = world.find(pid)
            assert now is not None
            assert now.stage >= stage or now.id in moved
        for change in (e for e in events if isinstance(e, StageChangedV1)):
            assert change.new_stage > change.old_stage or change.cause == "manual"


def assert_points_are_the_ledger(world: World) -> None:
    for prospect in world.live():
        ledger = [contribution(e) for e in world.emitted if e.subject_id == prospect.id]
        assert prospect.points == sum(ledger)


@CHECK
@given(histories())
def test_points_always_equal_the_sum_of_what_the_emitted_events_awarded(
    history: list[tuple[int, Action]],
) -> None:
    assert_points_are_the_ledger(play(history, DEFAULT_RULES))


@CHECK
@given(histories())
def test_with_decay_points_always_equal_the_awards_less_what_decayed(
    history: list[tuple[int, Action]],
) -> None:
    assert_points_are_the_ledger(play(history, DECAY))


@CHECK
@given(histories(), RULES)
def test_replaying_the_emitted_events_from_scratch_gives_the_same_prospects(
    history: list[tuple[int, Action]], rules: Rules
) -> None:
    world = play(history, rules)
    for pid, prospect in world.prospects.items():
        replayed = fold(None, [e for e in world.emitted if e.subject_id == pid])
        assert replayed == replace(prospect, merged_into=None)


@CHECK
@given(histories(), RULES)
def test_the_same_state_and_input_always_give_identical_events_and_ids(
    history: list[tuple[int, Action]], rules: Rules
) -> None:
    world = World(rules)
    for n, (minute, action) in enumerate(history):
        step = as_input(n, minute, action)
        try:
            events = world.decide(step)
        except Refused:
            continue
        assert world.decide(step) == events
        world.apply(events)
    assert len({e.event_id for e in world.emitted}) == len(world.emitted)
    assert play(history, rules).emitted == world.emitted


@CHECK
@given(histories(), RULES)
def test_the_stage_is_never_below_the_one_the_points_reach(
    history: list[tuple[int, Action]], rules: Rules
) -> None:
    world = World(rules)
    for n, (minute, action) in enumerate(history):
        try:
            world.apply(world.decide(as_input(n, minute, action)))
        except Refused:
            continue
        for prospect in world.live():
            assert prospect.stage >= rules.stage_for(prospect.points)
            assert prospect.periods[-1].stage == prospect.stage
