"""Identity: two visitor ids that turn out to be one person merge into the elder. Pure."""

from __future__ import annotations

from schemas.envelope import Event
from schemas.journey import ProspectsMergedV1, StageChangedV1
from services.journey.domain.derived import derived
from services.journey.domain.rules import Rules, decayed_exactly
from services.journey.domain.state import Prospect


def merge(prospect: Prospect | None, other: Prospect, event: Event, rules: Rules) -> list[Event]:
    """Fold the younger prospect into the elder; both histories, points and entry points stay."""
    email = getattr(event, "email", None) or other.email
    assert email is not None
    if prospect is None:
        survivor, merged_id, merged = other, event.subject_id, None
    elif survives(prospect, other):
        survivor, merged_id, merged = prospect, other.id, other
    else:
        survivor, merged_id, merged = other, prospect.id, prospect
    at = max(event.occurred_at, survivor.points_as_of)
    held, kept = decayed_exactly(
        survivor.points, survivor.thousandths, survivor.points_as_of, at, rules.half_life_days
    )
    brought, carried = (
        decayed_exactly(
            merged.points, merged.thousandths, merged.points_as_of, at, rules.half_life_days
        )
        if merged
        else (0, 0)
    )
    total = held + brought
    stage = max(survivor.stage, merged.stage if merged else 1, rules.stage_for(total))
    head = derived(survivor.id, event.event_id, event.occurred_at, event)
    out: list[Event] = [
        ProspectsMergedV1(
            **head(f"merge:{merged_id}"),
            merged_id=merged_id,
            email=email,
            stage=stage,
            total_points=total,
            merged_points=brought,
            merged_clicks=merged.clicks if merged else 0,
            merged_entry_points=merged.entry_point_history if merged else (),
            decayed=survivor.points - held,
            merged_decayed=merged.points - brought if merged else 0,
            # Two fractions may add up past one point; that last point is dropped, not carried,
            # so the whole points still add up on the timeline.
            thousandths=min(999, kept + carried),
        )
    ]
    if stage != survivor.stage:
        out.append(
            StageChangedV1(
                **head("merge_stage"), old_stage=survivor.stage, new_stage=stage, cause="merge"
            )
        )
    return out


def survives(prospect: Prospect | None, other: Prospect) -> bool:
    return prospect is not None and (prospect.created_at, prospect.id) < (
        other.created_at,
        other.id,
    )
