"""Journey rules: how clicks and inquiries create and move prospects. Pure: events in, state out."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from schemas.values import EntryPoint
from schemas.web import CtaClickedV1

STAGE_NAMES = {
    1: "Call to Discovery",
    2: "Exploration",
    3: "Validation",
    4: "Commitment",
    5: "Construction",
    6: "Mastery",
}


@dataclass(frozen=True)
class Prospect:
    id: str
    stage: int
    points: int
    email: str | None
    entry_point: EntryPoint | None
    created_at: datetime
    last_activity_at: datetime
    clicks: int = 0


def entry_point_of(click: CtaClickedV1) -> EntryPoint:
    return EntryPoint(
        kind="cta",
        cta_id=click.cta.id,
        cta_label=click.cta.label,
        page=click.page,
        utm=click.utm,
        captured_at=click.occurred_at,
    )


def on_click(prospect: Prospect | None, click: CtaClickedV1) -> Prospect:
    """The first click creates the prospect in Stage 1 and captures its entry point; later clicks
    never overwrite it. (Points and stage progression arrive with the full journey rules.)"""
    if prospect is None:
        return Prospect(
            id=click.subject_id,
            stage=1,
            points=0,
            email=click.email,
            entry_point=entry_point_of(click),
            created_at=click.occurred_at,
            last_activity_at=click.occurred_at,
            clicks=1,
        )
    return replace(
        prospect,
        email=prospect.email or click.email,
        last_activity_at=max(prospect.last_activity_at, click.occurred_at),
        clicks=prospect.clicks + 1,
    )
