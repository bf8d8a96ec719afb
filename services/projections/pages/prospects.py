"""The /prospects/{id} page: one prospect's record, the page a consultant opens before calling.
Stage, points, time per stage, entry point, tier, alerts and roadmap notes come from the read
models; the timeline and the entry-point history come from the journey's API, fetched by the
page's script with the same session."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.stages import STAGES
from services.projections.models.board import time_per_stage
from services.projections.pages.layout import ConsultantPage, Pages, prospect_url
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import board as board_store
from services.projections.tables import merges, versions
from services.projections.tables import notes as notes_store
from services.projections.tables import tiers as tiers_store

PATH = "/prospects/{prospect_id:path}"


def prospects_router(
    engine: AsyncEngine, pages: Pages, names: tuple[str, ...], default_tier: str
) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    async def prospect_record(prospect_id: str, who: ConsultantPage) -> Response:
        """One prospect: stage, points, time per stage, entry point, tier, timeline, alerts and
        roadmap notes. An id merged into another prospect leads to that prospect's page."""
        async with engine.connect() as conn:
            models = await versions.active_models(conn)
            row = await board_store.one_row(conn, prospect_id, models.board)
            if row is None:
                survivor = await merges.survivor_of(conn, prospect_id, models.board)
                if survivor is not None:
                    return RedirectResponse(prospect_url(survivor), status_code=303)
                return pages.render(
                    "prospect_missing.html",
                    title="No such prospect",
                    here=PATH,
                    status_code=404,
                    who=who.email,
                    prospect_id=prospect_id,
                )
            merged = await merges.merged_into(conn, prospect_id, models.board)
            tiers = await tiers_store.tiers_of(
                conn, models.board, [prospect_id], default_tier, models.tiers
            )
            alerts = await alert_feed_store.alerts_of(conn, [prospect_id, *merged], models.alerts)
            notes = await notes_store.notes_of(conn, [prospect_id], table=models.notes)
        spent = time_per_stage(row, datetime.now(UTC))
        return pages.render(
            "prospect.html",
            title=row.email or row.prospect_id,
            here=PATH,
            scripts=("timeline.js", "prospect.js"),
            styles=("prospect.css",),
            who=who.email,
            row=row,
            names=names,
            stages=STAGES,
            spent=spent,
            tier=tiers[prospect_id],
            merged=merged,
            alerts=alerts,
            notes=notes[prospect_id],
        )

    return router
