"""What a consultant's manual move (kanban drag) does to the prospect's open alert, as
given/when/then over the journey's events: to or past the alert's target it resolves the alert in
the mover's name; short of the target it leaves it open."""

from __future__ import annotations

import pytest

from schemas.alerts import AlertExpiredV1, AlertResolvedV1
from services.alerts.domain import Refused, decide_acknowledge, decide_action
from tests.alerts.history import at, awarded, given, moved, skip

P = pytest.param
KIM = "kim@example.com"


# fmt: off
# Given a skip 2 -> 4 (and maybe an acknowledgement), when a consultant moves the prospect:
# the alert's status after.
MOVES = [
    P(4, False, "resolved", id="moved to the target stage: resolved"),
    P(6, False, "resolved", id="moved past the target: resolved"),
    P(3, False, "pending", id="moved short of the target: still pending"),
    P(1, False, "pending", id="moved back: still pending"),
    P(5, True, "resolved", id="an acknowledged alert is resolved too"),
    P(3, True, "acknowledged", id="an acknowledged alert moved short stays acknowledged"),
]
# fmt: on


@pytest.mark.parametrize(("to_stage", "acknowledge", "status"), MOVES)
def test_a_manual_move_to_or_past_the_target_resolves_the_open_alert(
    to_stage: int, acknowledge: bool, status: str
) -> None:
    state = given(skip(2, 4, at(0)))
    if acknowledge:
        state.record(decide_acknowledge(state.only(), KIM, at(5)))
    state.apply(moved(to_stage, at(30)))
    assert state.only().status == status


def test_the_resolution_records_who_moved_the_prospect_when_where_to_and_why() -> None:
    state = given(skip(2, 4, at(0)))
    move = moved(5, at(30), by=KIM, reason="signed the commitment letter")
    [resolved] = state.apply(move)
    assert isinstance(resolved, AlertResolvedV1)
    assert (resolved.by, resolved.occurred_at, resolved.reason) == (KIM, at(30), "moved_manually")
    assert (resolved.stage, resolved.note) == (5, "signed the commitment letter")
    assert (resolved.causation_id, resolved.correlation_id) == (
        move.event_id,
        state.only().correlation_id,
    )
    alert = state.only()
    assert (alert.status, alert.resolved_by, alert.resolved_at) == ("resolved", KIM, at(30))
    assert (alert.resolved_stage, alert.resolved_note) == (5, "signed the commitment letter")


def test_the_same_move_decided_twice_gives_the_same_event_id() -> None:
    first, second = given(skip(2, 4)), given(skip(2, 4))
    move = moved(4, at(10))
    assert first.apply(move) == second.apply(move)


def test_a_move_leaves_closed_alerts_and_other_prospects_alone() -> None:
    state = given(skip(2, 4, at(0)), skip(1, 6, at(0), "v-2"))
    state.record(decide_action(state.open("v-1")[0], KIM, at(5)))
    assert state.apply(moved(6, at(30))) == []
    assert [a.status for a in state.open("v-2")] == ["pending"]


def test_a_pending_alert_past_its_seven_days_expires_rather_than_resolves() -> None:
    state = given(skip(2, 4, at(0)))
    [expired] = state.apply(moved(4, at(days=8)))
    assert isinstance(expired, AlertExpiredV1)
    assert (state.only().status, state.only().expired_at) == ("expired", at(days=7))


def test_a_resolved_alert_is_refused_to_consultants_and_a_new_skip_raises_anew() -> None:
    state = given(skip(2, 4, at(0)), moved(4, at(30), by=KIM))
    resolved = state.only()
    with pytest.raises(Refused, match=f"{KIM} moved the prospect to stage 4") as refused:
        decide_action(resolved, "sam@example.com", at(40))
    assert refused.value.reason == "resolved"
    [raised] = state.apply(skip(4, 6, at(60)))
    assert raised.type == "alert.raised.v1"
    assert [a.status for a in state.open("v-1")] == ["pending"]


def test_the_alert_carries_the_time_of_the_click_that_raised_it() -> None:
    state = given(awarded(4, at(0)), skip(2, 4, at(0)))
    alert = state.only()
    assert alert.clicked_at == alert.raised_at == at(0)
