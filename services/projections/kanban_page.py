"""The /journeykanban page: the six stages as columns of cards a consultant drags between.

The cards are rendered on the server from the board read model; one constant script (allowed by
its hash in this page's Content-Security-Policy) turns a drop into `POST /v1/prospects/{id}/stage`
with a reason, shows the outcome on the card, and re-reads `/v1/board` until the move arrives."""

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
from services.projections.projector import BoardRow, stage_name
from services.projections.templates import LOGOUT_SCRIPT, STYLE, document, humanise

PATH = "/journeykanban"
COLUMN_CARDS = 50

KANBAN_STYLE = """
.kanban-main{padding:8px 12px 12px}
.kanban-main .summary{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
.kanban{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:8px;align-items:stretch}
.kanban .stage{display:flex;flex-direction:column;border:2px solid transparent}
.kanban .stage.over{border-color:#1f5fbf;background:#dbe6f6}
.kanban .cards{flex:1;min-height:80px;max-height:calc(100vh - 160px);overflow-y:auto;
padding:2px}
.kanban .cards:empty::after{content:"No prospects here.";color:#6a7586;font-size:12px;margin:4px}
.kanban .card{cursor:grab}
.kanban .card.dragging{opacity:.45}
.kanban .card.pending{cursor:progress;border-style:dashed;background:#fbf7e9}
.kanban .card .id{color:#6a7586;font-size:11.5px}
.kanban .card .moving{color:#8a5a00;font-weight:600}
.kanban .more{font-size:12px}
.notice{margin:0 0 8px;padding:6px 10px;border-radius:4px;font-size:13px}
.notice.error{background:#fdecea;border:1px solid #e3a39c;color:#8a1c12}
.notice.info{background:#eaf3ea;border:1px solid #9cc79c;color:#1d5a1d}
dialog.move{border:1px solid #b9c2cf;border-radius:8px;padding:16px 18px;max-width:420px;
width:92vw}
dialog.move::backdrop{background:rgba(24,38,58,.35)}
dialog.move h2{font-size:16px;margin:0 0 8px}
dialog.move p{margin:0 0 10px;color:#4a5668;overflow-wrap:anywhere}
dialog.move label{display:block;font-size:13px;color:#4a5668}
dialog.move textarea{display:block;width:100%;font:inherit;margin-top:3px;padding:6px;
border:1px solid #b9c2cf;border-radius:4px}
dialog.move .buttons{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}
dialog.move button{font:inherit;padding:5px 14px;border-radius:4px;cursor:pointer;
border:1px solid #b9c2cf;background:#fff}
dialog.move button[type=submit]{border-color:#1f5fbf;background:#1f5fbf;color:#fff}
"""

KANBAN_SCRIPT = """
(() => {
const board = document.getElementById("kanban");
const dialog = document.getElementById("move-dialog");
const form = document.getElementById("move-form");
const what = document.getElementById("move-what");
const reason = document.getElementById("move-reason");
const errorBox = document.getElementById("kanban-error");
const infoBox = document.getElementById("kanban-info");
const TRIES = 8;
let dragged = null;
let asking = null;

const column = (stage) => board.querySelector('section.stage[data-stage="' + stage + '"]');
const stageLabel = (stage) => stage + " · " + column(stage).dataset.stageName;
const cardName = (card) => card.querySelector(".name").textContent;
const findCard = (id) =>
  Array.from(board.querySelectorAll("li.card")).find((c) => c.dataset.prospectId === id);

function say(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

function recount(stage, delta) {
  const count = column(stage).querySelector(".count");
  count.textContent = String(Math.max(0, Number(count.textContent) + delta));
}

function humanise(seconds) {
  let minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return "under 1 min";
  if (minutes < 60) return minutes + " min";
  let hours = Math.floor(minutes / 60);
  minutes %= 60;
  if (hours < 24) return minutes ? hours + " h " + minutes + " min" : hours + " h";
  const days = Math.floor(hours / 24);
  hours %= 24;
  return hours ? days + " d " + hours + " h" : days + " d";
}

function showStage(card, stage, enteredAt) {
  card.dataset.stage = String(stage);
  card.querySelector(".stage-line").textContent = "Stage " + stageLabel(stage);
  const time = card.querySelector(".time");
  const seconds = enteredAt ? (Date.now() - Date.parse(enteredAt)) / 1000 : 0;
  time.textContent = humanise(seconds) + " in stage";
  if (enteredAt) time.title = "entered " + enteredAt;
}

function place(card, stage, before) {
  const list = column(stage).querySelector("ol.cards");
  list.insertBefore(card, before && before.parentNode === list ? before : list.firstChild);
}

function pending(card, on) {
  card.classList.toggle("pending", on);
  card.draggable = !on;
  card.setAttribute("aria-busy", on ? "true" : "false");
  card.querySelector(".moving").hidden = !on;
}

function detailOf(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? String(d.msg) : JSON.stringify(d))).join("; ");
  }
  return "the server answered " + status;
}

function key() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

async function refresh(id, stage) {
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    await new Promise((done) => setTimeout(done, 400 + 300 * attempt));
    let rows;
    try {
      const answer = await fetch("/v1/board?limit=50&q=" + encodeURIComponent(id),
        {credentials: "same-origin", headers: {accept: "application/json"}});
      if (!answer.ok) continue;
      rows = (await answer.json()).rows;
    } catch (error) {
      continue;
    }
    const row = (rows || []).find((r) => r.prospect_id === id);
    const card = findCard(id);
    if (!row || !card || card.classList.contains("pending")) continue;
    if (row.stage !== stage) continue;
    showStage(card, row.stage, row.entered_stage_at);
    card.querySelector(".points").textContent =
      row.points + " pts · " + row.clicks + " click" + (row.clicks === 1 ? "" : "s");
    card.dataset.confirmed = "true";
    return;
  }
}

async function move(card, to, text) {
  const id = card.dataset.prospectId;
  const from = Number(card.dataset.stage);
  const home = card.nextElementSibling;
  const name = cardName(card);
  say(errorBox, "");
  say(infoBox, "");
  delete card.dataset.confirmed;
  pending(card, true);
  place(card, to, null);
  let answer = null;
  let body = null;
  try {
    answer = await fetch("/v1/prospects/" + encodeURIComponent(id) + "/stage", {
      method: "POST",
      credentials: "same-origin",
      headers: {"content-type": "application/json", "idempotency-key": key()},
      body: JSON.stringify({stage: to, reason: text}),
    });
    body = await answer.json().catch(() => null);
  } catch (error) {
    answer = null;
  }
  pending(card, false);
  if (answer && answer.ok) {
    showStage(card, to, null);
    recount(from, -1);
    recount(to, 1);
    say(infoBox, "Moved " + name + " to stage " + stageLabel(to) + ".");
    refresh(id, to);
    return;
  }
  place(card, from, home);
  const why = answer ? detailOf(body, answer.status) : "the server cannot be reached";
  say(errorBox, "Could not move " + name + " to stage " + stageLabel(to) + ": " + why);
  card.focus();
}

board.addEventListener("dragstart", (event) => {
  const card = event.target.closest && event.target.closest("li.card");
  if (!card || card.classList.contains("pending")) {
    event.preventDefault();
    return;
  }
  dragged = card;
  card.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", card.dataset.prospectId);
});

board.addEventListener("dragend", () => {
  if (dragged) dragged.classList.remove("dragging");
  dragged = null;
  board.querySelectorAll("section.stage.over").forEach((s) => s.classList.remove("over"));
});

board.addEventListener("dragover", (event) => {
  const target = event.target.closest && event.target.closest("section.stage");
  if (!target) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  board.querySelectorAll("section.stage.over").forEach((s) => {
    if (s !== target) s.classList.remove("over");
  });
  target.classList.add("over");
});

board.addEventListener("dragleave", (event) => {
  const target = event.target.closest && event.target.closest("section.stage");
  if (target && !target.contains(event.relatedTarget)) target.classList.remove("over");
});

board.addEventListener("drop", (event) => {
  const target = event.target.closest && event.target.closest("section.stage");
  if (!target) return;
  event.preventDefault();
  target.classList.remove("over");
  const id = event.dataTransfer.getData("text/plain") || (dragged && dragged.dataset.prospectId);
  const card = id ? findCard(id) : null;
  if (dragged) dragged.classList.remove("dragging");
  dragged = null;
  ask(card, Number(target.dataset.stage));
});

board.addEventListener("keydown", (event) => {
  const card = event.target.closest && event.target.closest("li.card");
  if (!card || event.altKey || event.ctrlKey || event.metaKey) return;
  if (!/^[1-6]$/.test(event.key)) return;
  event.preventDefault();
  ask(card, Number(event.key));
});

function ask(card, to) {
  if (!card || card.classList.contains("pending") || dialog.open) return;
  if (to === Number(card.dataset.stage)) return;
  asking = {card, to};
  what.textContent =
    "Move " + cardName(card) + " from stage " + stageLabel(Number(card.dataset.stage)) +
    " to stage " + stageLabel(to) + ".";
  reason.value = "";
  reason.setCustomValidity("");
  dialog.showModal();
  reason.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = reason.value.trim();
  if (!text) {
    reason.setCustomValidity("Give a reason for the move.");
    reason.reportValidity();
    return;
  }
  if (!asking) return;
  const {card, to} = asking;
  asking = null;
  dialog.close();
  move(card, to, text);
});

reason.addEventListener("input", () => reason.setCustomValidity(""));
document.getElementById("move-cancel").addEventListener("click", () => dialog.close());
dialog.addEventListener("close", () => {
  asking = null;
});
})();
"""

SCRIPT = LOGOUT_SCRIPT + KANBAN_SCRIPT


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@functools.cache
def content_security_policy() -> str:
    """This page's own policy: its one script and two style blocks, by hash; fetches to itself."""
    return (
        f"default-src 'none'; script-src {_sha256(SCRIPT)}; "
        f"style-src {_sha256(STYLE)} {_sha256(KANBAN_STYLE)}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def kanban_router(engine: AsyncEngine, names: tuple[str, ...]) -> APIRouter:
    pages = APIRouter(tags=["pages"])

    @pages.get(PATH, response_class=HTMLResponse)
    async def journey_kanban(request: Request) -> Response:
        """The six stages as columns; dragging a card to another column moves the prospect."""
        token = request.cookies.get(SESSION_COOKIE)
        who: Consultant | None = (
            verify_token(request.app.state.session_secret, token) if token else None
        )
        if who is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        async with engine.connect() as conn:
            counts = await store.stage_counts(conn, store.Filters())
            cards = {
                s: await store.page(conn, store.Filters(stage=s), limit=COLUMN_CARDS)
                for s in range(1, 7)
                if counts[s]
            }
        body = kanban_page(who.email, names, datetime.now(UTC), counts, cards)
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


def kanban_page(
    who: str,
    names: tuple[str, ...],
    now: datetime,
    counts: Mapping[int, int],
    cards: Mapping[int, Sequence[BoardRow]],
) -> str:
    total = sum(counts.values())
    columns = "".join(_column(s, names, now, counts[s], cards.get(s, ())) for s in range(1, 7))
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
