"""The /customerjourney page: every prospect on the board, mapped across the six stages."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.stages import STAGES
from services.projections.pages.layout import ConsultantPage, Pages
from services.projections.tables import board as board_store
from services.projections.tables import cursor as board_cursor
from services.projections.tables import suggestions, versions

PATH = "/customerjourney"
COLUMN_CARDS = 30
STAGE_CARDS = 120
MAX_FILTER = 200
FILTERS = ("q", "stage", "entry_point", "utm_campaign")


class Suggestions:
    """The filters' suggestion lists (entry points, campaigns), re-read at most every `ttl`
    seconds: grouping a whole board of 100,000 prospects for them would cost more than the rest
    of the page, and a suggestion a few seconds late is harmless (the fields take any text)."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self._kept: tuple[str, float, list[tuple[str, str | None]], list[str]] | None = None

    async def of(
        self, conn: AsyncConnection, tables: board_store.BoardTables
    ) -> tuple[list[tuple[str, str | None]], list[str]]:
        now = time.monotonic()
        kept = self._kept
        if kept is not None and kept[0] == tables.rows.name and now - kept[1] < self.ttl:
            return kept[2], kept[3]
        entry_points = await suggestions.entry_points(conn, tables)
        campaigns = await suggestions.campaigns(conn, tables)
        self._kept = (tables.rows.name, now, entry_points, campaigns)
        return entry_points, campaigns


def customerjourney_router(engine: AsyncEngine, pages: Pages, names: tuple[str, ...]) -> APIRouter:
    router = APIRouter(tags=["pages"], include_in_schema=False)
    suggested = Suggestions()

    @router.get(PATH, response_class=HTMLResponse)
    async def customer_journey(request: Request, who: ConsultantPage) -> Response:
        """Every prospect across the six stages; filters are GET parameters."""
        params = request.query_params
        form = {k: params.get(k, "").strip() for k in FILTERS}
        filters, errors = parse_filters(form)
        after = None
        if cursor := params.get("cursor"):
            try:
                after = board_cursor.decode_cursor(cursor)
            except ValueError:
                errors.append("That page link is not valid any more; showing the first page.")
        async with engine.connect() as conn:
            tables = await versions.active_board(conn)
            counts = await board_store.stage_counts(conn, filters, tables)
            next_cursor = None
            if filters.stage is not None:
                found = await board_store.page(
                    conn, filters, after=after, limit=STAGE_CARDS + 1, tables=tables
                )
                cards = {filters.stage: found[:STAGE_CARDS]}
                if len(found) > STAGE_CARDS:
                    next_cursor = board_cursor.encode_cursor(found[STAGE_CARDS - 1])
            else:
                cards = {
                    s: await board_store.page(
                        conn, replace(filters, stage=s), limit=COLUMN_CARDS, tables=tables
                    )
                    for s in STAGES
                    if counts[s]
                }
            entry_points, campaigns = await suggested.of(conn, tables)
        shown = {
            "q": filters.q or "",
            "stage": str(filters.stage or ""),
            "entry_point": filters.entry_point or "",
            "utm_campaign": filters.utm_campaign or "",
        }
        stages = [filters.stage] if filters.stage is not None else list(STAGES)
        links: dict[int | None, str] = {s: _link(shown, stage=str(s)) for s in STAGES}
        links[None] = _link(shown, stage="")
        return pages.render(
            "customerjourney.html",
            title="Customer journey",
            here=PATH,
            status_code=422 if errors else 200,
            who=who.email,
            names=names,
            form=form,
            stage=filters.stage,
            stages=stages,
            counts=counts,
            total=sum(counts[s] for s in stages),
            filtered=any(shown.values()),
            cards=cards,
            links=links,
            next_link=_link(shown, cursor=next_cursor) if next_cursor else None,
            entry_points=entry_points,
            campaigns=campaigns,
            errors=errors,
        )

    return router


def parse_filters(form: dict[str, str]) -> tuple[board_store.Filters, list[str]]:
    """The filters a consultant typed; a bad one is reported and left out, never guessed."""
    errors: list[str] = []
    stage = None
    if form["stage"]:
        if form["stage"] in {str(s) for s in STAGES}:
            stage = int(form["stage"])
        else:
            errors.append("Stage must be a number from 1 to 6.")
    texts: dict[str, str | None] = {}
    for name, label in (("q", "Search"), ("entry_point", "Entry point"), ("utm_campaign", "UTM")):
        value = form[name]
        if len(value) > MAX_FILTER:
            errors.append(f"{label} must be at most {MAX_FILTER} characters.")
            value = ""
        texts[name] = value or None
    filters = board_store.Filters(stage, texts["entry_point"], texts["utm_campaign"], texts["q"])
    return filters, errors


def _link(shown: Mapping[str, str], **changes: str | None) -> str:
    query = {**shown, "cursor": ""} | {k: v or "" for k, v in changes.items()}
    kept = {k: v for k, v in query.items() if v}
    return f"{PATH}?{urlencode(kept)}" if kept else PATH
