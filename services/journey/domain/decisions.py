"""Journey rules: points, stages, skips, entry points, identity merges, manual moves. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from schemas.envelope import Event
from schemas.journey import (
    EntryPointCapturedV1,
    PointsAwardedV1,
    ProspectCreatedV1,
    ProspectEmailLinkedV1,
    ProspectMovedManuallyV1,
    StageChangedV1,
    StageSkippedV1,
)
from schemas.stages import STAGES
from schemas.values import EntryPoint
from schemas.web import CtaClickedV1, InquirySubmittedV1, ProspectImportedV1, VisitorIdentifiedV1
from services.journey.domain.derived import built, derived
from services.journey.domain.identity import merge, survives
from services.journey.domain.rules import DEFAULT_RULES, Rules, decayed, decayed_exactly
from services.journey.domain.state import MoveStage, Prospect, fold


class Refused(ValueError):
    """A command that the rules do not allow; the message says why."""


def decide(
    prospect: Prospect | None,
    event: Event,
    rules: Rules = DEFAULT_RULES,
    *,
    same_email: Prospect | None = None,
) -> list[Event]:
    """What happens to a prospect when a website event arrives. `same_email` is another prospect
    already known by the event's email: the two are merged first, then the event applies."""
    if isinstance(event, ProspectImportedV1):
        # An import never touches a prospect the live system already knows, by id or by email.
        return [] if prospect or same_email else _import(event, rules)
    out: list[Event] = []
    if same_email is not None and same_email.id != _id(prospect, event):
        out += merge(prospect, same_email, event, rules)
        prospect = fold(prospect if survives(prospect, same_email) else same_email, out)
    if isinstance(event, CtaClickedV1):
        return out + _click(prospect, event, rules)
    if isinstance(event, InquirySubmittedV1):
        return out + _inquiry(prospect, event)
    if isinstance(event, VisitorIdentifiedV1):
        return out + _identify(prospect, event)
    return out


def moved_event_id(move: MoveStage) -> uuid.UUID:
    """The id a move's record gets: a retried command is recognised by it."""
    return uuid.uuid5(move.command_id, "moved")


def decide_move(
    prospect: Prospect | None, move: MoveStage, rules: Rules = DEFAULT_RULES
) -> list[Event]:
    if prospect is None:
        raise Refused(f"no prospect with id {move.prospect_id!r}")
    if move.to_stage not in STAGES:
        raise Refused(f"stage must be 1 to 6, not {move.to_stage}")
    if move.to_stage == prospect.stage:
        raise Refused(f"the prospect is already in stage {move.to_stage}")
    held = decayed(prospect.points, prospect.points_as_of, move.at, rules.half_life_days)
    # Points follow a manual move: down to the new stage's threshold, so the next click does not
    # undo the move; up to at least the new stage's threshold, so progression goes on from there.
    low = rules.threshold(move.to_stage)
    target = low if move.to_stage < prospect.stage else max(held, low)
    head = derived(prospect.id, move.command_id, move.at, None)
    return [
        ProspectMovedManuallyV1(
            **head("moved"),
            from_stage=prospect.stage,
            to_stage=move.to_stage,
            consultant=move.consultant,
            reason=move.reason,
            points_delta=target - prospect.points,
        ),
        StageChangedV1(
            **head("stage"),
            old_stage=prospect.stage,
            new_stage=move.to_stage,
            cause="manual",
            changed_by=move.consultant,
            reason=move.reason,
        ),
    ]


def _click(prospect: Prospect | None, click: CtaClickedV1, rules: Rules) -> list[Event]:
    out: list[Event] = []
    head = derived(
        prospect.id if prospect else click.subject_id, click.event_id, click.occurred_at, click
    )
    if prospect is None:
        out.append(built(ProspectCreatedV1, head("created"), stage=1, email=click.email))
        prospect = fold(None, out)
        assert prospect is not None
    if prospect.clicks == 0 and prospect.entry_point is None and not prospect.imported:
        entry = _entry_point(click)
        out.append(built(EntryPointCapturedV1, head("entry_point"), entry_point=entry))
    if click.email and click.email != prospect.email:
        out.append(built(ProspectEmailLinkedV1, head("email"), email=click.email))

    gap = click.cta.stage - prospect.stage
    multiplier = max(1, gap)
    awarded = rules.base_points(click.cta) * multiplier
    held, thousandths = decayed_exactly(
        prospect.points,
        prospect.thousandths,
        prospect.points_as_of,
        click.occurred_at,
        rules.half_life_days,
    )
    total = held + awarded
    base = rules.base_points(click.cta)
    cta = click.cta if base == click.cta.points else click.cta.model_copy(update={"points": base})
    out.append(
        built(
            PointsAwardedV1,
            head("points"),
            click_event_id=click.event_id,
            cta=cta,
            stage_before=prospect.stage,
            gap=gap,
            multiplier=multiplier,
            points=awarded,
            total_points=total,
            decayed=prospect.points - held,
            thousandths=thousandths,
        )
    )
    if gap >= 2:
        out.append(
            built(
                StageSkippedV1,
                head("skip"),
                current_stage=prospect.stage,
                target_stage=click.cta.stage,
                gap=gap,
                click_event_id=click.event_id,
                cta=cta,
                email=click.email or prospect.email,
                entry_point=prospect.entry_point or _first_entry_point(out),
            )
        )
    new_stage = max(prospect.stage, rules.stage_for(total))
    if new_stage != prospect.stage:
        out.append(
            built(
                StageChangedV1,
                head("stage"),
                old_stage=prospect.stage,
                new_stage=new_stage,
                cause="points",
            )
        )
    return out


def _inquiry(prospect: Prospect | None, inquiry: InquirySubmittedV1) -> list[Event]:
    out: list[Event] = []
    head = derived(
        prospect.id if prospect else inquiry.subject_id,
        inquiry.event_id,
        inquiry.occurred_at,
        inquiry,
    )
    if prospect is None:
        out.append(ProspectCreatedV1(**head("created"), stage=1, email=inquiry.email))
    elif inquiry.email != prospect.email:
        out.append(ProspectEmailLinkedV1(**head("email"), email=inquiry.email))
    entry = EntryPoint(
        kind="inquiry",
        form_id=inquiry.form_id,
        page=inquiry.page,
        utm=inquiry.utm,
        captured_at=inquiry.occurred_at,
    )
    return [*out, EntryPointCapturedV1(**head("entry_point"), entry_point=entry)]


def _identify(prospect: Prospect | None, identify: VisitorIdentifiedV1) -> list[Event]:
    head = derived(
        prospect.id if prospect else identify.subject_id,
        identify.event_id,
        identify.occurred_at,
        identify,
    )
    if prospect is None:
        return [ProspectCreatedV1(**head("created"), stage=1, email=identify.email)]
    if identify.email == prospect.email:
        return []
    return [ProspectEmailLinkedV1(**head("email"), email=identify.email)]


def _import(row: ProspectImportedV1, rules: Rules) -> list[Event]:
    head = derived(row.subject_id, row.event_id, row.occurred_at, row)
    stage = max(row.stage, rules.stage_for(row.points))
    return [
        ProspectCreatedV1(
            **head("created"),
            stage=stage,
            email=row.email,
            imported=True,
            points=row.points,
            name=row.name,
        )
    ]


def _id(prospect: Prospect | None, event: Event) -> str:
    return prospect.id if prospect else event.subject_id


def _entry_point(click: CtaClickedV1) -> EntryPoint:
    return built(
        EntryPoint,
        {},
        kind="cta",
        cta_id=click.cta.id,
        cta_label=click.cta.label,
        page=click.page,
        utm=click.utm,
        captured_at=click.occurred_at,
    )


def _first_entry_point(events: Sequence[Event]) -> EntryPoint | None:
    return next((e.entry_point for e in events if isinstance(e, EntryPointCapturedV1)), None)
