"""The /customerplanningreview page: prospects in Construction (5) and Mastery (6), to plan their
implementation, with their journey so far and the consultants' roadmap notes.

Rendered on the server from the board read model and the notes table; customerplanningreview.js
posts a new note to `POST /v1/prospects/{id}/roadmap-notes` and re-reads that prospect's notes
until it is listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.projections.models.board import BoardRow, time_per_stage
from services.projections.models.notes import RoadmapNote
from services.projections.pages.layout import ConsultantPage, Pages
from services.projections.tables import board as board_store
from services.projections.tables import notes as notes_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables import versions

PATH = "/customerplanningreview"
PLANNING_STAGES = (5, 6)
MAX_PROSPECTS = 200


@dataclass(frozen=True)
class Planned:
    """One prospect as the page shows it; periods are (stage, seconds, percent of the longest)."""

    row: BoardRow
    tier: str
    notes: Sequence[RoadmapNote]
    periods: Sequence[tuple[int, float, int]]


def customerplanningreview_router(
    engine: AsyncEngine, pages: Pages, names: tuple[str, ...], default_tier: str
) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    async def customer_planning_review(who: ConsultantPage) -> Response:
        """Stage 5 and 6 prospects with their journey data and roadmap notes."""
        async with engine.connect() as conn:
            models = await versions.active_models(conn)
            tables = models.board
            rows = await board_store.stage_rows(conn, PLANNING_STAGES, MAX_PROSPECTS, tables)
            ids = [r.prospect_id for r in rows]
            notes = await notes_store.notes_of(conn, ids, table=models.notes)
            tiers = await tiers_store.tiers_of(conn, tables, ids, default_tier, models.tiers)
        now = datetime.now(UTC)
        planned = [planned_of(r, now, notes.get(r.prospect_id, ()), tiers) for r in rows]
        return pages.render(
            "customerplanningreview.html",
            title="Customer planning review",
            here=PATH,
            scripts=("roadmapnotes.js", "customerplanningreview.js"),
            styles=("customerplanningreview.css",),
            who=who.email,
            names=names,
            total=len(rows),
            sections=[(s, [p for p in planned if p.row.stage == s]) for s in PLANNING_STAGES],
        )

    return router


def planned_of(
    row: BoardRow, now: datetime, notes: Sequence[RoadmapNote], tiers: Mapping[str, str]
) -> Planned:
    seconds = time_per_stage(row, now)
    longest = max(seconds.values(), default=0.0) or 1.0
    periods = [(s, spent, round(100 * spent / longest)) for s, spent in sorted(seconds.items())]
    in_utc = [replace(n, recorded_at=n.recorded_at.astimezone(UTC)) for n in notes]
    return Planned(row, tiers[row.prospect_id], in_utc, periods)
