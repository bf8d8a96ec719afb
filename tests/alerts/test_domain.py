"""Alert rules as tables: given the journey's events so far, when a skip, a consultant or the
clock acts, then these alert events (or this refusal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from schemas.alerts import (
    AlertAcknowledgedV1,
    AlertActionedV1,
    AlertEscalatedV1,
    AlertExpiredV1,
    AlertRaisedV1,
    AlertRepeatedV1,
)
from schemas.envelope import Event
from services.alerts.domain import (
    HIGH_ACTION,
    URGENT_ACTION,
    Refused,
    alert_id_for,
    decide,
    decide_acknowledge,
    decide_action,
    decide_sweep,
)
from services.alerts.state import Alert, fold
from tests.alerts.history import (
    FIRST,
    A,
    at,
    awarded,
    email_linked,
    given,
    skip,
)

P = pytest.param
HOUR = timedelta(hours=1)
CONSULTANT = "sam@example.com"


def kinds(events: list[Event]) -> list[str]:
    return [e.type.rsplit(".v", 1)[0] for e in events]


# fmt: off
PRIORITIES = [
    P(1, 3, "HIGH", HIGH_ACTION, id="gap 2: HIGH, phone within 24 hours"),
    P(2, 5, "HIGH", HIGH_ACTION, id="gap 3: HIGH"),
    P(2, 6, "URGENT", URGENT_ACTION, id="gap 4: URGENT, call now"),
    P(1, 6, "URGENT", URGENT_ACTION, id="gap 5: URGENT"),
]
# Given earlier skips (current, target) of one prospect, when one more: the new events, and the
# open alert's (target, priority, count) after it.
NO_REPEATS = [
    P([], (2, 4), ["alert.raised"], (4, "HIGH", 1), id="a first skip raises"),
    P([(2, 4)], (2, 4), ["alert.repeated"], (4, "HIGH", 2), id="the same target repeats"),
    P([(2, 4), (2, 4)], (2, 4), ["alert.repeated"], (4, "HIGH", 3), id="and counts on"),
    P([(1, 6)], (2, 4), ["alert.repeated"], (6, "URGENT", 2),
      id="a lower target is recorded on the open alert"),
    P([(2, 4)], (3, 5), ["alert.escalated"], (5, "HIGH", 1),
      id="a higher target escalates the target"),
    P([(2, 4)], (2, 6), ["alert.escalated"], (6, "URGENT", 1),
      id="a higher target with gap 4 escalates to URGENT"),
    P([(1, 5)], (4, 6), ["alert.escalated"], (6, "URGENT", 1),
      id="a higher target never lowers the priority"),
]
# fmt: on


@pytest.mark.parametrize(("current", "target", "priority", "action"), PRIORITIES)
def test_a_skip_raises_an_alert_whose_priority_and_action_follow_the_gap(
    current: int, target: int, priority: str, action: str
) -> None:
    event = skip(current, target)
    [raised] = decide([], event, None)
    assert isinstance(raised, AlertRaisedV1)
    assert (raised.priority, raised.recommended_action) == (priority, action)
    assert (raised.current_stage, raised.target_stage, raised.gap) == (
        current,
        target,
        target - current,
    )
    assert (raised.alert_id, raised.subject_id) == (alert_id_for(event), "v-1")


def test_the_alert_carries_email_entry_point_and_the_last_five_clicks_newest_first() -> None:
    clicks = [awarded(1 + i % 3, at(i), name=f"cta{i}") for i in range(7)]
    state = given(*clicks)
    [raised] = state.apply(skip(2, 4, at(7)))
    assert isinstance(raised, AlertRaisedV1)
    assert (raised.email, raised.entry_point) == (A, FIRST)
    assert [c.cta_id for c in raised.recent_clicks] == ["cta6", "cta5", "cta4", "cta3", "cta2"]
    assert raised.recent_clicks[0].event_id == str(clicks[6].click_event_id)
    assert raised.expires_at == at(7, days=7)


def test_email_comes_from_the_journeys_earlier_events_when_the_skip_has_none() -> None:
    state = given(email_linked("b@x.io"))
    [raised] = state.apply(skip(1, 3, email=None, entry_point=None))
    assert isinstance(raised, AlertRaisedV1)
    assert (raised.email, raised.entry_point) == ("b@x.io", None)


@pytest.mark.parametrize(("before", "then", "expected", "after"), NO_REPEATS)
def test_at_most_one_open_alert_per_prospect_repeats_and_higher_targets_fold_into_it(
    before: list[tuple[int, int]],
    then: tuple[int, int],
    expected: list[str],
    after: tuple[int, str, int],
) -> None:
    state = given(*(skip(c, t, at(i)) for i, (c, t) in enumerate(before)))
    events = state.apply(skip(*then, at(len(before)), n=1))
    assert kinds(events) == expected
    alert = state.only()
    assert (alert.target_stage, alert.priority, alert.count) == after
    assert alert.last_seen_at == at(len(before))
    assert alert.raised_at == at(0)


def test_a_repeat_is_recorded_on_the_open_alert_with_its_count_and_time() -> None:
    state = given(skip(1, 6))
    [repeated] = state.apply(skip(2, 6, at(10), n=1))
    assert isinstance(repeated, AlertRepeatedV1)
    assert (repeated.alert_id, repeated.count, repeated.target_stage) == (state.only().id, 2, 6)
    assert repeated.occurred_at == state.only().last_seen_at == at(10)


def test_an_escalation_to_urgent_changes_the_recommended_action_and_says_why() -> None:
    state = given(skip(2, 4))
    [escalated] = state.apply(skip(2, 6, at(5)))
    assert isinstance(escalated, AlertEscalatedV1)
    assert (escalated.reason, escalated.priority, escalated.gap) == ("higher_target", "URGENT", 4)
    assert state.only().recommended_action == URGENT_ACTION
    assert state.only().urgent_since == at(5)


def test_an_escalation_takes_the_new_skips_stages_and_clicks() -> None:
    state = given(skip(2, 4), awarded(3, at(3), name="late"))
    state.apply(skip(3, 6, at(5)))
    alert = state.only()
    assert (alert.current_stage, alert.target_stage, alert.gap) == (3, 6, 3)
    assert [c.cta_id for c in alert.recent_clicks] == ["late"]


def test_a_repeat_or_escalation_on_an_acknowledged_alert_keeps_it_acknowledged() -> None:
    state = given(skip(2, 4))
    state.record(decide_acknowledge(state.only(), CONSULTANT, at(1)))
    assert kinds(state.apply(skip(2, 4, at(2), n=1))) == ["alert.repeated"]
    assert kinds(state.apply(skip(2, 5, at(3)))) == ["alert.escalated"]
    assert (state.only().status, state.only().count) == ("acknowledged", 2)


def test_a_skip_after_the_alert_was_actioned_raises_a_new_alert() -> None:
    state = given(skip(2, 4))
    first = state.only()
    state.record(decide_action(first, CONSULTANT, at(1)))
    assert kinds(state.apply(skip(2, 4, at(2), n=1))) == ["alert.raised"]
    assert [a.status for a in state.alerts.values()] == ["actioned", "pending"]


def test_a_skip_after_the_open_alert_ran_out_by_event_time_expires_it_and_raises_anew() -> None:
    state = given(skip(2, 4))
    events = state.apply(skip(2, 4, at(days=7), n=1))
    assert kinds(events) == ["alert.expired", "alert.raised"]
    assert events[0].occurred_at == at(days=7)
    assert [a.status for a in state.alerts.values()] == ["expired", "pending"]


def test_skips_of_two_prospects_raise_two_alerts() -> None:
    state = given(skip(2, 4, v="v-1"), skip(2, 4, v="v-2"))
    assert sorted(a.prospect_id for a in state.alerts.values()) == ["v-1", "v-2"]


def test_the_same_skip_decided_twice_gives_the_same_event_ids() -> None:
    event = skip(1, 6)
    assert decide([], event, None) == decide([], event, None)
    state = given(skip(2, 4))
    assert decide(state.open("v-1"), event, None) == decide(state.open("v-1"), event, None)


Command = Callable[[Alert], list[Event]]
ACK: Command = lambda a: decide_acknowledge(a, CONSULTANT, at(2))  # noqa: E731
ACTION: Command = lambda a: decide_action(a, CONSULTANT, at(2), "called, booked a demo")  # noqa: E731
LATE_ACK: Command = lambda a: decide_acknowledge(a, CONSULTANT, at(days=7))  # noqa: E731
LATE_ACTION: Command = lambda a: decide_action(a, CONSULTANT, at(days=8))  # noqa: E731


def acknowledged(a: Alert) -> list[Event]:
    return decide_acknowledge(a, "kim@example.com", at(1))


def actioned(a: Alert) -> list[Event]:
    return decide_action(a, "kim@example.com", at(1))


def expired(a: Alert) -> list[Event]:
    return decide_sweep(a, at(days=7), HOUR)


def pending(_: Alert) -> list[Event]:
    return []


# fmt: off
# Given an alert made pending/acknowledged/actioned/expired, when a consultant acts:
# the status after, or the refusal's reason.
TRANSITIONS = [
    P(pending, ACK, "acknowledged", id="pending -> acknowledged"),
    P(pending, ACTION, "actioned", id="pending -> actioned directly"),
    P(acknowledged, ACTION, "actioned", id="acknowledged -> actioned"),
    P(acknowledged, ACK, Refused("already_acknowledged", ""), id="acknowledging twice"),
    P(actioned, ACK, Refused("archived", ""), id="acknowledging an archived alert"),
    P(actioned, ACTION, Refused("archived", ""), id="actioning an archived alert"),
    P(expired, ACK, Refused("expired", ""), id="acknowledging an expired alert"),
    P(expired, ACTION, Refused("expired", ""), id="actioning an expired alert"),
    P(pending, LATE_ACK, Refused("expired", ""), id="acknowledging at 7 days, before the sweep"),
    P(pending, LATE_ACTION, Refused("expired", ""), id="actioning after 7 days, before the sweep"),
]
# fmt: on


@pytest.mark.parametrize(("setup", "command", "outcome"), TRANSITIONS)
def test_the_lifecycle_allows_only_its_transitions(
    setup: Command, command: Command, outcome: str | Refused
) -> None:
    state = given(skip(2, 4))
    state.record(setup(state.only()))
    if isinstance(outcome, Refused):
        with pytest.raises(Refused) as refused:
            command(state.only())
        assert refused.value.reason == outcome.reason
        assert str(state.only().id) in str(refused.value)
        return
    state.record(command(state.only()))
    assert state.only().status == outcome


def test_each_transition_records_who_and_when() -> None:
    state = given(skip(2, 4))
    [ack] = decide_acknowledge(state.only(), CONSULTANT, at(3))
    assert isinstance(ack, AlertAcknowledgedV1)
    assert (ack.by, ack.occurred_at, ack.alert_id) == (CONSULTANT, at(3), state.only().id)
    state.record([ack])
    [done] = decide_action(state.only(), "kim@example.com", at(9), "booked")
    assert isinstance(done, AlertActionedV1)
    state.record([done])
    alert = state.only()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (CONSULTANT, at(3))
    assert (alert.actioned_by, alert.actioned_at) == ("kim@example.com", at(9))
    assert alert.note == "booked"


def test_refusals_say_who_already_acted() -> None:
    state = given(skip(2, 4))
    state.record(decide_acknowledge(state.only(), CONSULTANT, at(3)))
    with pytest.raises(Refused, match=f"already acknowledged by {CONSULTANT}"):
        decide_acknowledge(state.only(), "kim@example.com", at(4))


# fmt: off
EXPIRY = [
    P(pending, at(days=6, minutes=23 * 60 + 59, seconds=59), [], id="6d23h59m59s: still pending"),
    P(pending, at(days=7), ["alert.expired"], id="exactly 7 days: expired"),
    P(pending, at(days=40), ["alert.expired"], id="long after: expired"),
    P(acknowledged, at(days=30), [], id="an acknowledged alert never expires"),
    P(actioned, at(days=30), [], id="an actioned alert never expires"),
]
# fmt: on


@pytest.mark.parametrize(("setup", "now", "expected"), EXPIRY)
def test_a_pending_alert_expires_exactly_seven_days_after_it_was_raised(
    setup: Command, now: datetime, expected: list[str]
) -> None:
    state = given(skip(2, 4))
    state.record(setup(state.only()))
    events = decide_sweep(state.only(), now, HOUR)
    assert kinds(events) == expected
    if events:
        assert isinstance(events[0], AlertExpiredV1)
        assert events[0].occurred_at == at(days=7)
        swept = fold(state.only(), events)
        assert swept is not None and swept.status == "expired"


# fmt: off
# Given skips and how long after the first the clock reads: what the sweep records.
UNANSWERED = [
    P([skip(1, 6)], at(59, seconds=59), [], id="URGENT, 59m59s: not yet"),
    P([skip(1, 6)], at(60), ["alert.escalated"], id="URGENT, 60 minutes: escalated"),
    P([skip(2, 4)], at(days=6), [], id="HIGH is never escalated for silence"),
    P([skip(2, 4), skip(2, 6, at(120))], at(179), [],
      id="escalated to URGENT at 2h: the clock starts there"),
    P([skip(2, 4), skip(2, 6, at(120))], at(180), ["alert.escalated"],
      id="escalated to URGENT at 2h: unanswered at 3h"),
]
# fmt: on


@pytest.mark.parametrize(("history", "now", "expected"), UNANSWERED)
def test_an_urgent_alert_left_pending_is_escalated_once(
    history: list[Event], now: datetime, expected: list[str]
) -> None:
    state = given(*history)
    events = decide_sweep(state.only(), now, HOUR)
    assert kinds(events) == expected
    if not events:
        return
    [escalated] = events
    assert isinstance(escalated, AlertEscalatedV1)
    assert (escalated.reason, escalated.priority) == ("unanswered", "URGENT")
    assert escalated.occurred_at == now
    state.record(events)
    assert state.only().unanswered_escalated
    assert decide_sweep(state.only(), at(days=3), HOUR) == []


def test_an_acknowledged_urgent_alert_is_not_escalated_for_silence() -> None:
    state = given(skip(1, 6))
    state.record(decide_acknowledge(state.only(), CONSULTANT, at(5)))
    assert decide_sweep(state.only(), at(days=2), HOUR) == []


def test_a_sweep_past_expiry_only_expires_even_an_unanswered_urgent_alert() -> None:
    state = given(skip(1, 6))
    assert kinds(decide_sweep(state.only(), at(days=8), HOUR)) == ["alert.expired"]
