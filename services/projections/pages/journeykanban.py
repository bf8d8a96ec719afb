"""The /journeykanban page: the six stages as columns of cards a consultant drags between.

The cards are rendered on the server from the board read model; journeykanban.js turns a drop
into `POST /v1/prospects/{id}/stage` with a reason, shows the outcome on the card, and re-reads
`/v1/board` until the move arrives."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.stages import STAGES
from services.projections.pages.layout import ConsultantPage, Pages
from services.projections.tables import board as board_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables import versions

PATH = "/journeykanban"
COLUMN_CARDS = 50


def journeykanban_router(
    engine: AsyncEngine, pages: Pages, names: tuple[str, ...], default_tier: str
) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    async def journey_kanban(who: ConsultantPage) -> Response:
        """The six stages as columns; dragging a card to another column moves the prospect."""
        async with engine.connect() as conn:
            models = await versions.active_models(conn)
            tables = models.board
            counts = await board_store.stage_counts(conn, board_store.Filters(), tables)
            cards = {
                s: await board_store.page(
                    conn, board_store.Filters(stage=s), limit=COLUMN_CARDS, tables=tables
                )
                for s in STAGES
                if counts[s]
            }
            ids = [r.prospect_id for rows in cards.values() for r in rows]
            tiers = await tiers_store.tiers_of(conn, tables, ids, default_tier, models.tiers)
        return pages.render(
            "journeykanban.html",
            title="Journey kanban",
            here=PATH,
            scripts=("kanbanmoves.js", "journeykanban.js"),
            styles=("journeykanban.css",),
            who=who.email,
            names=names,
            stages=STAGES,
            counts=counts,
            cards=cards,
            tiers=tiers,
            total=sum(counts.values()),
        )

    return router
