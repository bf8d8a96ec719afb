"""What the browser runs and how the page looks: constants allowed by hash in the page's
Content-Security-Policy."""

from services.projections.pages.legacy import DETAIL_SCRIPT, LOGOUT_SCRIPT

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

SCRIPT = LOGOUT_SCRIPT + DETAIL_SCRIPT + KANBAN_SCRIPT
