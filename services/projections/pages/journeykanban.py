"""The /journeykanban page: the six stages as columns of cards a consultant drags between.

The cards are rendered on the server from the board read model; one constant script (allowed by
its hash in this page's Content-Security-Policy) turns a drop into `POST /v1/prospects/{id}/stage`
with a reason, shows the outcome on the card, and re-reads `/v1/board` until the move arrives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.stages import STAGES
from services.common.auth import page_session
from services.projections.models.board import BoardRow, stage_name
from services.projections.pages.journeykanban_assets import KANBAN_STYLE, SCRIPT
from services.projections.pages.layout import Pages
from services.projections.pages.legacy import STYLE, document, humanise, page_headers, policy
from services.projections.tables import board as board_store
from services.projections.tables import versions

PATH = "/journeykanban"
COLUMN_CARDS = 50


def content_security_policy() -> str:
    return policy((SCRIPT,), (STYLE, KANBAN_STYLE))


def journeykanban_router(engine: AsyncEngine, pages: Pages, names: tuple[str, ...]) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse)
    async def journey_kanban(request: Request) -> Response:
        """The six stages as columns; dragging a card to another column moves the prospect."""
        who = page_session(request)
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        async with engine.connect() as conn:
            tables = await versions.active_board(conn)
            counts = await board_store.stage_counts(conn, board_store.Filters(), tables)
            cards = {
                s: await board_store.page(
                    conn, board_store.Filters(stage=s), limit=COLUMN_CARDS, tables=tables
                )
                for s in STAGES
                if counts[s]
            }
        body = kanban_page(who.email, names, datetime.now(UTC), counts, cards)
        return HTMLResponse(
            body,
            headers=page_headers(content_security_policy()),
        )

    return router


def kanban_page(
    who: str,
    names: tuple[str, ...],
    now: datetime,
    counts: Mapping[int, int],
    cards: Mapping[int, Sequence[BoardRow]],
) -> str:
    total = sum(counts.values())
    columns = "".join(_column(s, names, now, counts[s], cards.get(s, ())) for s in STAGES)
    body = (
        f"<style>{KANBAN_STYLE}</style>"
        '<header class="top"><h1>Journey kanban</h1>'
        f'<span class="who">{escape(who)}<button id="logout" type="button">Log out</button>'
        "</span></header>"
        '<main class="kanban-main">'
        f'<p class="summary"><span>{total} prospect{"" if total == 1 else "s"} on the journey'
        " · drag a card to another stage, or focus it and press 1 to 6, to move it</span>"
        '<a href="/customerjourney">Customer journey</a></p>'
        '<p id="kanban-error" class="notice error" role="alert" hidden></p>'
        '<p id="kanban-info" class="notice info" role="status" hidden></p>'
        f'<div id="kanban" class="board kanban">{columns}</div></main>'
        '<dialog id="move-dialog" class="move" aria-labelledby="move-title">'
        '<form id="move-form"><h2 id="move-title">Move prospect</h2><p id="move-what"></p>'
        '<label>Reason for the move<textarea id="move-reason" name="reason" rows="3" '
        'maxlength="1000" required></textarea></label>'
        '<div class="buttons"><button id="move-cancel" type="button">Cancel</button>'
        '<button type="submit">Move</button></div></form></dialog>'
        "<noscript><p>Moving cards needs JavaScript.</p></noscript>"
    )
    return document("Journey kanban", body, SCRIPT)


def _column(
    s: int, names: tuple[str, ...], now: datetime, count: int, rows: Sequence[BoardRow]
) -> str:
    name = stage_name(s, names)
    more = count - len(rows)
    tail = (
        f'<a class="more" href="/customerjourney?stage={s}">{more} more in {escape(name)}</a>'
        if more > 0
        else ""
    )
    return (
        f'<section class="stage stage-{s}" data-stage="{s}" data-stage-name="{escape(name)}" '
        f'aria-labelledby="kanban-stage-{s}">'
        f'<h2 id="kanban-stage-{s}">{s} · {escape(name)}<span class="count">{count}</span></h2>'
        f'<ol class="cards">{"".join(_card(r, names, now) for r in rows)}</ol>{tail}</section>'
    )


def _card(row: BoardRow, names: tuple[str, ...], now: datetime) -> str:
    in_stage = humanise((now - row.entered_stage_at).total_seconds())
    clicks = f"{row.clicks} click{'' if row.clicks == 1 else 's'}"
    ident = f'<div class="id">{escape(row.prospect_id)}</div>' if row.email else ""
    return (
        f'<li class="card" draggable="true" tabindex="0" '
        f'data-prospect-id="{escape(row.prospect_id)}" data-stage="{row.stage}">'
        f'<div class="name" title="{escape(row.prospect_id)}">'
        f"{escape(row.email or row.prospect_id)}</div>{ident}"
        f'<div class="line stage-line">Stage {row.stage} · '
        f"{escape(stage_name(row.stage, names))}</div>"
        f'<div class="time" title="entered {escape(row.entered_stage_at.isoformat())}">'
        f"{escape(in_stage)} in stage</div>"
        f'<div class="line entry">Entry: {escape(_entry(row))}</div>'
        f'<div class="line points">{row.points} pts · {clicks}</div>'
        '<div class="moving" role="status" hidden>Moving…</div></li>'
    )


def _entry(row: BoardRow) -> str:
    if row.entry_kind is None:
        return "imported, none recorded" if row.imported else "none recorded"
    if row.entry_kind == "inquiry":
        return f"Form {row.entry_form_id or ''}".strip()
    return row.entry_cta_label or row.entry_cta_id or "CTA"
