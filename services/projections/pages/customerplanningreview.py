"""The /customerplanningreview page: prospects in Construction (5) and Mastery (6), to plan their
implementation, with their journey so far and the consultants' roadmap notes.

Rendered on the server from the board read model and the notes table; one constant script
(allowed by its hash in this page's Content-Security-Policy) posts a new note to
`POST /v1/prospects/{id}/roadmap-notes` and re-reads that prospect's notes until it is listed.
Every value reaches the page through `html.escape` or `textContent`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import page_session
from services.projections.models.board import BoardRow, stage_name, time_per_stage
from services.projections.models.notes import RoadmapNote
from services.projections.pages.customerplanningreview_assets import PLANNING_STYLE, SCRIPT
from services.projections.pages.layout import Pages
from services.projections.pages.legacy import STYLE, document, humanise, page_headers, policy
from services.projections.tables import board as board_store
from services.projections.tables import notes as notes_store
from services.projections.tables import tiers as tiers_store
from services.projections.tables import versions

PATH = "/customerplanningreview"
PLANNING_STAGES = (5, 6)
MAX_PROSPECTS = 200


def content_security_policy() -> str:
    return policy((SCRIPT,), (STYLE, PLANNING_STYLE))


def customerplanningreview_router(
    engine: AsyncEngine, pages: Pages, names: tuple[str, ...], default_tier: str
) -> APIRouter:
    router = APIRouter(tags=["pages"])

    @router.get(PATH, response_class=HTMLResponse)
    async def customer_planning_review(request: Request) -> Response:
        """Stage 5 and 6 prospects with their journey data and roadmap notes."""
        who = page_session(request)
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        async with engine.connect() as conn:
            models = await versions.active_models(conn)
            tables = models.board
            rows = await board_store.stage_rows(conn, PLANNING_STAGES, MAX_PROSPECTS, tables)
            ids = [r.prospect_id for r in rows]
            notes = await notes_store.notes_of(conn, ids, table=models.notes)
            tiers = await tiers_store.tiers_of(conn, tables, ids, default_tier, models.tiers)
        body = planning_page(who.email, names, datetime.now(UTC), rows, notes, tiers)
        return HTMLResponse(
            body,
            headers=page_headers(content_security_policy()),
        )

    return router


def planning_page(
    who: str,
    names: tuple[str, ...],
    now: datetime,
    rows: Sequence[BoardRow],
    notes: Mapping[str, Sequence[RoadmapNote]],
    tiers: Mapping[str, str],
) -> str:
    sections = "".join(
        _section(s, names, now, [r for r in rows if r.stage == s], notes, tiers)
        for s in PLANNING_STAGES
    )
    body = (
        f"<style>{PLANNING_STYLE}</style>"
        '<header class="top"><h1>Customer planning review</h1>'
        f'<span class="who">{escape(who)}<button id="logout" type="button">Log out</button>'
        "</span></header>"
        '<main class="planning-main">'
        f'<p class="summary">{len(rows)} prospect{"" if len(rows) == 1 else "s"} in '
        f"{escape(stage_name(5, names))} and {escape(stage_name(6, names))} · "
        'plan their implementation and keep roadmap notes · <a href="/customerjourney">'
        'Customer journey</a> · <a href="/journeykanban">Journey kanban</a></p>'
        f"{sections}</main>"
        "<noscript><p>Adding notes needs JavaScript.</p></noscript>"
    )
    return document("Customer planning review", body, SCRIPT)


def _section(
    s: int,
    names: tuple[str, ...],
    now: datetime,
    rows: Sequence[BoardRow],
    notes: Mapping[str, Sequence[RoadmapNote]],
    tiers: Mapping[str, str],
) -> str:
    name = escape(stage_name(s, names))
    items = "".join(
        _prospect(r, names, now, notes.get(r.prospect_id, ()), tiers[r.prospect_id]) for r in rows
    )
    content = (
        f'<ul class="prospects">{items}</ul>'
        if rows
        else f'<p class="empty">No prospects in {name}.</p>'
    )
    return (
        f'<section class="planning-stage" data-stage="{s}" aria-labelledby="planning-stage-{s}">'
        f'<h2 id="planning-stage-{s}">Stage {s} · {name} ({len(rows)})</h2>{content}</section>'
    )


def _prospect(
    row: BoardRow, names: tuple[str, ...], now: datetime, notes: Sequence[RoadmapNote], tier: str
) -> str:
    pid = escape(row.prospect_id)
    key = hashlib.sha256(row.prospect_id.encode()).hexdigest()[:16]
    ident = f'<div class="id">{pid}</div>' if row.email else ""
    clicks = f"{row.clicks} click{'' if row.clicks == 1 else 's'}"
    return (
        f'<li class="prospect" data-prospect-id="{pid}" data-stage="{row.stage}">'
        f"<h3>{escape(row.email or row.prospect_id)}</h3>{ident}"
        "<dl>"
        f"<dt>Stage</dt><dd>{row.stage} · {escape(stage_name(row.stage, names))}</dd>"
        f'<dt>Tier</dt><dd><span class="tier">{escape(tier)}</span></dd>'
        f'<dt>Entry point</dt><dd class="entry">{_entry(row)}</dd>'
        f'<dt>Activity</dt><dd class="clicks">{clicks} · {row.points} pts</dd>'
        "</dl>"
        f"{_periods(row, names, now)}"
        f'<div class="notes"><h4>Roadmap notes</h4><ol id="notes-{key}">{_notes(notes)}</ol>'
        f'<form class="note" data-prospect-id="{pid}" data-notes="notes-{key}" novalidate>'
        f'<label for="note-{key}" class="sr">New roadmap note</label>'
        f'<textarea id="note-{key}" name="text" rows="2" maxlength="5000" '
        'placeholder="New roadmap note" required></textarea>'
        '<div class="row"><button type="submit">Add note</button>'
        '<span class="status" role="status"></span>'
        '<span class="error" role="alert"></span></div></form></div></li>'
    )


def _entry(row: BoardRow) -> str:
    if row.entry_kind is None:
        return "imported, none recorded" if row.imported else "none recorded"
    if row.entry_kind == "inquiry":
        what = f"Form {row.entry_form_id or ''}".strip()
    else:
        what = row.entry_cta_label or row.entry_cta_id or "CTA"
    parts = [escape(what)]
    if row.entry_page:
        parts.append(f'<span class="page">{escape(row.entry_page)}</span>')
    utm = " / ".join(v for v in (row.utm_source, row.utm_medium, row.utm_campaign) if v)
    if utm:
        parts.append(f"UTM {escape(utm)}")
    return " · ".join(parts)


def _periods(row: BoardRow, names: tuple[str, ...], now: datetime) -> str:
    seconds = time_per_stage(row, now)
    if not seconds:
        return '<p class="empty">Time per stage not recorded.</p>'
    longest = max(seconds.values()) or 1.0
    lines = "".join(
        f'<tr class="{"current" if s == row.stage else "past"}" data-stage="{s}">'
        f"<th>{s} · {escape(stage_name(s, names))}</th>"
        f'<td class="time">{escape(humanise(spent))}</td>'
        f'<td><meter min="0" max="100" value="{round(100 * spent / longest)}"></meter></td></tr>'
        for s, spent in sorted(seconds.items())
    )
    return f'<table class="periods"><caption>Time per stage</caption><tbody>{lines}</tbody></table>'


def _notes(notes: Sequence[RoadmapNote]) -> str:
    if not notes:
        return '<li class="none">No roadmap notes yet.</li>'
    return "".join(
        f'<li data-note-id="{escape(n.note_id)}"><div class="text">{escape(n.text)}</div>'
        f'<div class="meta">{escape(n.author)} · {_when(n.recorded_at)}</div></li>'
        for n in notes
    )


def _when(at: datetime) -> str:
    return escape(at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
