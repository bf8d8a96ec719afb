"""Builders for journey histories: website events at fixed times, applied through the rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from schemas.envelope import Event
from schemas.values import Cta, EntryPoint, Utm
from schemas.web import CtaClickedV1, InquirySubmittedV1, ProspectImportedV1, VisitorIdentifiedV1
from services.journey.domain.decisions import decide, decide_move
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.domain.state import MoveStage, Prospect, fold

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DAY = 24 * 60
A = "a@x.io"
E = TypeVar("E", bound=Event)
Step = Event | MoveStage


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))


def click(
    stage: int, base: int = 10, minute: int = 0, cta: str = "", v: str = "v-1", email: str = ""
) -> CtaClickedV1:
    cta = cta or f"stage{stage}-cta"
    return CtaClickedV1(
        event_id=uid("click", v, minute, cta),
        occurred_at=at(minute),
        subject_id=v,
        email=email or None,
        cta=Cta(id=cta, label=cta.title(), stage=stage, points=base),
        page=f"https://example.com/{cta}",
        utm=Utm(source="google", medium="cpc", campaign="q4"),
    )


def inquiry(form: str, minute: int = 0, v: str = "v-1", email: str = A) -> Event:
    return InquirySubmittedV1(
        event_id=uid("inquiry", v, minute, form),
        occurred_at=at(minute),
        subject_id=v,
        email=email,
        form_id=form,
    )


def identify(email: str, minute: int = 0, v: str = "v-1") -> Event:
    return VisitorIdentifiedV1(
        event_id=uid("identify", v, minute), occurred_at=at(minute), subject_id=v, email=email
    )


def imported(stage: int, points: int, minute: int = 0, v: str = "v-1", email: str = "") -> Event:
    return ProspectImportedV1(
        event_id=uid("import", v, minute),
        occurred_at=at(minute),
        subject_id=v,
        email=email or None,
        stage=stage,
        points=points,
        import_id=f"row-{v}",
    )


def move(to: int, minute: int = 0, v: str = "v-1") -> MoveStage:
    return MoveStage(uid("move", v, minute, to), v, to, "phoned them", "ann@crm.io", at(minute))


def emit(state: Prospect | None, step: Step, rules: Rules = DEFAULT_RULES) -> list[Event]:
    if isinstance(step, MoveStage):
        return decide_move(state, step, rules)
    return decide(state, step, rules)


def given(steps: Sequence[Step], rules: Rules = DEFAULT_RULES) -> tuple[Prospect, list[Event]]:
    """The prospect after all steps, and the events the last step emitted."""
    state: Prospect | None = None
    emitted: list[Event] = []
    for step in steps:
        emitted = emit(state, step, rules)
        state = fold(state, emitted)
    assert state is not None
    return state, emitted


def prior(steps: Sequence[Step]) -> Prospect | None:
    return given(steps[:-1])[0] if len(steps) > 1 else None


def at_stage(stage: int) -> list[Step]:
    return [click(1, 1)] if stage == 1 else [click(1, 1), move(stage, minute=1)]


def the(kind: type[E], events: Sequence[Event]) -> E:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, [e.type for e in events]
    return found[0]


def label(entry: EntryPoint | None) -> str | None:
    return None if entry is None else f"{entry.kind}:{entry.cta_id or entry.form_id}"
