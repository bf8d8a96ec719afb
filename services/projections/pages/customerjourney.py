from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.stages import STAGES
from services.common.auth import page_session
from services.projections.pages.customerjourney_html import PATH, BoardView, board_page
from services.projections.pages.layout import content_security_policy, login_page, page_headers
from services.projections.tables import board as board_store
from services.projections.tables import cursor as board_cursor
from services.projections.tables import versions

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
        entry_points = await board_store.entry_points(conn, tables)
        campaigns = await board_store.campaigns(conn, tables)
        self._kept = (tables.rows.name, now, entry_points, campaigns)
        return entry_points, campaigns


def pages_router(engine: AsyncEngine, names: tuple[str, ...]) -> APIRouter:
    pages = APIRouter(tags=["pages"])
    suggestions = Suggestions()

    @pages.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse(PATH, status_code=303)

    @pages.get("/login", response_class=HTMLResponse)
    async def login(request: Request, next: str = PATH) -> Response:
        """The login form; it posts to `/v1/auth/login`, which sets the session cookie."""
        target = safe_next(next)
        if page_session(request) is not None:
            return RedirectResponse(target, status_code=303)
        return _html(login_page(target))

    @pages.get(PATH, response_class=HTMLResponse)
    async def customer_journey(request: Request) -> Response:
        """Every prospect across the six stages; filters are GET parameters."""
        who = page_session(request)
        if who is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)
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
            if filters.stage is not None:
                found = await board_store.page(
                    conn, filters, after=after, limit=STAGE_CARDS + 1, tables=tables
                )
                cards = {filters.stage: found[:STAGE_CARDS]}
                more = len(found) > STAGE_CARDS
                next_cursor = board_cursor.encode_cursor(found[STAGE_CARDS - 1]) if more else None
            else:
                cards = {
                    s: await board_store.page(
                        conn, replace(filters, stage=s), limit=COLUMN_CARDS, tables=tables
                    )
                    for s in STAGES
                    if counts[s]
                }
                next_cursor = None
            entry_points, campaigns = await suggestions.of(conn, tables)
        shown = {
            "q": filters.q or "",
            "stage": str(filters.stage or ""),
            "entry_point": filters.entry_point or "",
            "utm_campaign": filters.utm_campaign or "",
        }
        view = BoardView(
            who=who.email,
            names=names,
            now=datetime.now(UTC),
            form=form,
            stage=filters.stage,
            counts=counts,
            cards=cards,
            entry_points=entry_points,
            campaigns=campaigns,
            errors=errors,
            next_cursor=next_cursor,
            shown=shown,
        )
        return _html(board_page(view), status_code=422 if errors else 200)

    return pages


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


def safe_next(target: str) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return PATH
    return target


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status_code,
        headers=page_headers(content_security_policy()),
    )
