"""Rescoring: what new rules would have made of every prospect, replaying its history, and the
events that apply it. Pure; `rescore_run` does the reading and writing."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import Event
from schemas.journey import (
    ProspectCreatedV1,
    ProspectMovedManuallyV1,
    ProspectRescoredV1,
    StageChangedV1,
)
from schemas.stages import STAGES
from schemas.web import ProspectImportedV1
from services.journey.domain.decisions import Refused, decide_move
from services.journey.domain.derived import derived
from services.journey.domain.rules import Rules
from services.journey.domain.state import MoveStage, Prospect, evolve
from services.journey.tables.workset import Workset

# Rescoring's own namespace: a rescore's id is derived from what it applies to, so a retried
# apply of the same rules to the same state gives the same event ids.
NAMESPACE = uuid.UUID("6f1d2c3b-8a9e-4b7c-9d0e-1f2a3b4c5d6e")


@dataclass(frozen=True)
class Change:
    prospect_id: str
    from_stage: int
    to_stage: int
    from_points: int
    to_points: int


@dataclass(frozen=True)
class Report:
    """How many prospects are in each stage now and would be under the new rules."""

    before: Mapping[int, int]
    after: Mapping[int, int]
    changes: tuple[Change, ...]
    unchanged: int
    unmatched: int  # prospects known now that the replay did not give (or the other way round)

    def moves(self) -> dict[tuple[int, int], int]:
        """(from stage, to stage) → prospects, for those whose stage would change."""
        return dict(
            Counter((c.from_stage, c.to_stage) for c in self.changes if c.from_stage != c.to_stage)
        )


def history(web: Iterable[Event], journal: Iterable[Event]) -> list[Event]:
    """What the journey has applied, in event time: the website's events it processed, its
    imports (kept as prospect.created in the journal) and consultants' manual moves."""
    inputs: list[Event] = list(web)
    for event in journal:
        if isinstance(event, ProspectCreatedV1) and event.imported:
            inputs.append(
                ProspectImportedV1(
                    event_id=event.causation_id or event.event_id,
                    occurred_at=event.occurred_at,
                    subject_id=event.subject_id,
                    email=event.email,
                    name=event.name,
                    # The imported stage is a consultant's statement: it stays a floor.
                    stage=event.stage,
                    points=event.points,
                    import_id="journal",
                )
            )
        elif isinstance(event, ProspectMovedManuallyV1):
            inputs.append(event)
    # Stable: events with the same time keep the order they were read in.
    return sorted(inputs, key=lambda e: e.occurred_at)


def replay(inputs: Sequence[Event], rules: Rules) -> dict[str, Prospect]:
    """The live prospects that `inputs` give under `rules`, by id."""
    work = Workset(state={}, existing=set(), alias={}, emails={})
    for event in inputs:
        if isinstance(event, ProspectMovedManuallyV1):
            _move(work, event, rules)
        else:
            work.apply(event, rules)
    return work.state


def compare(current: Mapping[str, Prospect], replayed: Mapping[str, Prospect]) -> Report:
    changes: list[Change] = []
    unchanged = 0
    for pid in sorted(current.keys() & replayed.keys()):
        now, then = current[pid], replayed[pid]
        if (now.stage, now.points) == (then.stage, then.points):
            unchanged += 1
        else:
            changes.append(Change(pid, now.stage, then.stage, now.points, then.points))
    after = Counter(p.stage for pid, p in replayed.items() if pid in current)
    after.update(p.stage for pid, p in current.items() if pid not in replayed)
    return Report(
        before=_per_stage(Counter(p.stage for p in current.values())),
        after=_per_stage(after),
        changes=tuple(changes),
        unchanged=unchanged,
        unmatched=len(current.keys() ^ replayed.keys()),
    )


def rescore_id(rules_label: str, generation: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{rules_label}@{generation}")


def rescored(
    report: Report,
    replayed: Mapping[str, Prospect],
    *,
    rescore: uuid.UUID,
    rules_label: str,
    operator: str,
    at: datetime,
) -> list[Event]:
    """The events that put each changed prospect where the new rules put it."""
    out: list[Event] = []
    for change in report.changes:
        then = replayed[change.prospect_id]
        head = derived(change.prospect_id, uuid.uuid5(rescore, change.prospect_id), at, None)
        out.append(
            ProspectRescoredV1(
                **{**head("rescored"), "correlation_id": rescore},
                rescore_id=rescore,
                rules=rules_label,
                from_stage=change.from_stage,
                to_stage=change.to_stage,
                points_delta=change.to_points - change.from_points,
                total_points=change.to_points,
                thousandths=then.thousandths,
                points_as_of=then.points_as_of,
            )
        )
        if change.to_stage != change.from_stage:
            out.append(
                StageChangedV1(
                    **{**head("stage"), "correlation_id": rescore},
                    old_stage=change.from_stage,
                    new_stage=change.to_stage,
                    cause="rescore",
                    changed_by=operator,
                    reason=f"rescored under {rules_label}",
                )
            )
    return out


def apply_to(current: Mapping[str, Prospect], events: Sequence[Event]) -> list[Prospect]:
    """The prospects after the rescore's events."""
    after = dict(current)
    for event in events:
        found = evolve(after.get(event.subject_id), event)
        if found is not None:
            after[found.id] = found
    return [after[pid] for pid in sorted({e.subject_id for e in events})]


def _move(work: Workset, moved: ProspectMovedManuallyV1, rules: Rules) -> None:
    pid = work.alias.get(moved.subject_id, moved.subject_id)
    command = MoveStage(
        moved.event_id, pid, moved.to_stage, moved.reason, moved.consultant, moved.occurred_at
    )
    try:
        decided = decide_move(work.state.get(pid), command, rules)
    except Refused:
        return  # under the new rules the prospect is already there (or was never made)
    for event in decided:
        found = evolve(work.state.get(pid), event)
        if found is not None:
            work.state[pid] = found


def _per_stage(counts: Counter[int]) -> dict[int, int]:
    return {stage: counts.get(stage, 0) for stage in STAGES}
