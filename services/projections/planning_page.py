"""The /customerplanningreview page: prospects in Construction (5) and Mastery (6), to plan their
implementation, with their journey so far and the consultants' roadmap notes.

Rendered on the server from the board read model and the notes table; one constant script
(allowed by its hash in this page's Content-Security-Policy) posts a new note to
`POST /v1/prospects/{id}/roadmap-notes` and re-reads that prospect's notes until it is listed.
Every value reaches the page through `html.escape` or `textContent`."""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import SESSION_COOKIE, Consultant, verify_token
from services.projections import store
from services.projections.projector import BoardRow, RoadmapNote, stage_name, time_per_stage
from services.projections.templates import LOGOUT_SCRIPT, STYLE, document, humanise

PATH = "/customerplanningreview"
PLANNING_STAGES = (5, 6)
MAX_PROSPECTS = 200
# Tiers come with billing; until it feeds the board every prospect is on the free tier.
DEFAULT_TIER = "Explorer"

PLANNING_STYLE = """
.planning-main{padding:10px 16px 24px;max-width:1280px}
.planning-main h2{font-size:16px;margin:14px 0 8px}
.prospects{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:10px;align-items:start}
.prospect{background:#fff;border:1px solid #d3d9e2;border-left:5px solid #d9663a;
border-radius:4px;padding:8px 10px;font-size:12.5px;overflow-wrap:anywhere}
.prospect[data-stage="6"]{border-left-color:#8e5bbf}
.prospect h3{font-size:14px;margin:0}
.prospect .id{color:#6a7586;font-size:11.5px}
.prospect dl{margin:6px 0;display:grid;grid-template-columns:auto 1fr;gap:1px 8px}
.prospect dt{color:#6a7586}
.prospect dd{margin:0}
.tier{display:inline-block;padding:0 7px;border-radius:9px;background:#e6eaf0;font-weight:600}
table.periods{border-collapse:collapse;width:100%;margin:4px 0 6px}
table.periods th,table.periods td{padding:1px 4px;text-align:left;font-weight:normal}
table.periods th{color:#4a5668;white-space:nowrap;width:32%}
table.periods td.time{white-space:nowrap;width:22%;text-align:right}
table.periods caption{text-align:left;font-weight:600;font-size:12.5px;padding:2px 0}
table.periods meter{width:100%;height:10px}
table.periods .current th{color:#1c2430;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.notes h4{font-size:12.5px;margin:6px 0 3px}
.notes ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}
.notes li{background:#f6f8fb;border:1px solid #e1e6ed;border-radius:3px;padding:4px 6px}
.notes li .text{white-space:pre-wrap}
.notes li .meta{color:#6a7586;font-size:11.5px}
.notes .none{color:#6a7586}
form.note{margin-top:6px}
form.note textarea{display:block;width:100%;font:inherit;padding:5px;border:1px solid #b9c2cf;
border-radius:4px}
form.note .row{display:flex;align-items:center;gap:8px;margin-top:4px}
form.note button{font:inherit;padding:3px 12px;border-radius:4px;border:1px solid #1f5fbf;
background:#1f5fbf;color:#fff;cursor:pointer}
form.note button[disabled]{opacity:.6;cursor:progress}
form.note .status{color:#1d5a1d}
form.note .error{color:#8a1c12;font-weight:600}
.empty{color:#6a7586}
"""

PLANNING_SCRIPT = """
(() => {
const TRIES = 10;

function when(iso) {
  const at = new Date(iso);
  if (isNaN(at)) return String(iso);
  return at.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function detailOf(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? String(d.msg) : JSON.stringify(d))).join("; ");
  }
  return "the server answered " + status;
}

function show(list, notes) {
  list.replaceChildren();
  if (!notes.length) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = "No roadmap notes yet.";
    list.appendChild(none);
    return;
  }
  for (const note of notes) {
    const item = document.createElement("li");
    item.dataset.noteId = note.note_id;
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = note.text;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = note.author + " · " + when(note.recorded_at);
    item.append(text, meta);
    list.appendChild(item);
  }
}

async function refresh(id, list, noteId) {
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    await new Promise((done) => setTimeout(done, 300 + 200 * attempt));
    try {
      const answer = await fetch("/v1/prospects/" + encodeURIComponent(id) + "/roadmap-notes",
        {credentials: "same-origin", headers: {accept: "application/json"}});
      if (!answer.ok) continue;
      const notes = (await answer.json()).notes || [];
      if (!notes.some((n) => n.note_id === noteId)) continue;
      show(list, notes);
      return true;
    } catch (error) {
      continue;
    }
  }
  return false;
}

document.querySelectorAll("form.note").forEach((form) => {
  const id = form.dataset.prospectId;
  const list = document.getElementById(form.dataset.notes);
  const text = form.querySelector("textarea");
  const button = form.querySelector("button");
  const status = form.querySelector(".status");
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    error.textContent = "";
    const note = text.value.trim();
    if (!note) {
      error.textContent = "Write the note first.";
      text.focus();
      return;
    }
    button.disabled = true;
    let answer = null;
    let body = null;
    try {
      answer = await fetch("/v1/prospects/" + encodeURIComponent(id) + "/roadmap-notes", {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", accept: "application/json"},
        body: JSON.stringify({text: note}),
      });
      body = await answer.json().catch(() => null);
    } catch (failure) {
      answer = null;
    }
    button.disabled = false;
    if (!answer || !answer.ok) {
      const why = answer ? detailOf(body, answer.status) : "the server cannot be reached";
      error.textContent = "Could not save the note: " + why;
      return;
    }
    text.value = "";
    status.textContent = "Saved; listing it…";
    const listed = await refresh(id, list, body.note_id);
    status.textContent = listed ? "Note added." : "";
    if (!listed) error.textContent = "The note was saved but is not listed yet; reload later.";
  });
});
})();
"""

SCRIPT = LOGOUT_SCRIPT + PLANNING_SCRIPT


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@functools.cache
def content_security_policy() -> str:
    """This page's own policy: its one script and two style blocks, by hash; fetches to itself."""
    return (
        f"default-src 'none'; script-src {_sha256(SCRIPT)}; "
        f"style-src {_sha256(STYLE)} {_sha256(PLANNING_STYLE)}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def planning_router(engine: AsyncEngine, names: tuple[str, ...]) -> APIRouter:
    pages = APIRouter(tags=["pages"])

    @pages.get(PATH, response_class=HTMLResponse)
    async def customer_planning_review(request: Request) -> Response:
        """Stage 5 and 6 prospects with their journey data and roadmap notes."""
        token = request.cookies.get(SESSION_COOKIE)
        who: Consultant | None = (
            verify_token(request.app.state.session_secret, token) if token else None
        )
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        async with engine.connect() as conn:
            rows = await store.stage_rows(conn, PLANNING_STAGES, limit=MAX_PROSPECTS)
            notes = await store.notes_of(conn, [r.prospect_id for r in rows])
        body = planning_page(who.email, names, datetime.now(UTC), rows, notes)
        return HTMLResponse(
            body,
            headers={
                "Content-Security-Policy": content_security_policy(),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin",
            },
        )

    return pages


def planning_page(
    who: str,
    names: tuple[str, ...],
    now: datetime,
    rows: Sequence[BoardRow],
    notes: Mapping[str, Sequence[RoadmapNote]],
) -> str:
    sections = "".join(
        _section(s, names, now, [r for r in rows if r.stage == s], notes) for s in PLANNING_STAGES
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
) -> str:
    name = escape(stage_name(s, names))
    items = "".join(_prospect(r, names, now, notes.get(r.prospect_id, ())) for r in rows)
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
    row: BoardRow, names: tuple[str, ...], now: datetime, notes: Sequence[RoadmapNote]
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
        f'<dt>Tier</dt><dd><span class="tier">{escape(DEFAULT_TIER)}</span></dd>'
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
