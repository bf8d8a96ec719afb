// The kanban's cards: a drop (or a stage number pressed on a focused card) asks for a reason,
// records the move with POST /v1/prospects/{id}/stage, shows the outcome on the card, and
// re-reads /v1/board until the read model has the move.
const { detailOf } = globalThis.heroFormat;
const { showDurations } = globalThis.heroLayout;
const kanban = globalThis.heroKanban;

const board = document.getElementById("kanban");
const dialog = document.getElementById("move-dialog");
const form = document.getElementById("move-form");
const what = document.getElementById("move-what");
const reason = document.getElementById("move-reason");
const errorBox = document.getElementById("kanban-error");
const infoBox = document.getElementById("kanban-info");
const TRIES = 8;
const columns = Array.from(board.querySelectorAll("section.stage"));
const names = columns.map((section) => section.dataset.stageName);
let dragged = null;
let asking = null;

const column = (stage) => columns[stage - 1];
const cardName = (card) => card.querySelector(".name").textContent;
const cardOf = (element) => element?.closest?.("li.card") ?? null;
const columnOf = (element) => element?.closest?.("section.stage") ?? null;
const findCard = (id) =>
  Array.from(board.querySelectorAll("li.card")).find((card) => card.dataset.prospectId === id);
const isPending = (card) => card.classList.contains("pending");

function say(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

function recount(stage, delta) {
  const count = column(stage).querySelector(".count");
  count.textContent = String(Math.max(0, Number(count.textContent) + delta));
}

function showStage(card, stage, enteredAt) {
  const entered = enteredAt ?? new Date().toISOString();
  card.dataset.stage = String(stage);
  card.querySelector(".stage-line").textContent = `Stage ${kanban.stageLabel(stage, names)}`;
  const time = card.querySelector(".time");
  time.querySelector("[data-since]").dataset.since = entered;
  time.title = `entered ${entered}`;
  showDurations(time);
}

function place(card, stage, before) {
  const list = column(stage).querySelector("ol.cards");
  list.insertBefore(card, before?.parentNode === list ? before : list.firstChild);
}

function pending(card, on) {
  card.classList.toggle("pending", on);
  card.draggable = !on;
  card.setAttribute("aria-busy", on ? "true" : "false");
  card.querySelector(".moving").hidden = !on;
}

function idempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

async function refresh(id, stage) {
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    await new Promise((done) => setTimeout(done, kanban.retryDelay(attempt)));
    let rows;
    try {
      const answer = await fetch(kanban.boardQuery(id), {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      if (!answer.ok) continue;
      rows = (await answer.json()).rows;
    } catch {
      continue;
    }
    const row = kanban.moveArrived(rows, id, stage);
    const card = findCard(id);
    if (!row || !card || isPending(card)) continue;
    showStage(card, row.stage, row.entered_stage_at);
    card.querySelector(".points").textContent = kanban.activityLine(row.points, row.clicks);
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
    answer = await fetch(kanban.stageUrl(id), {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "idempotency-key": idempotencyKey() },
      body: JSON.stringify({ stage: to, reason: text }),
    });
    body = await answer.json().catch(() => null);
  } catch {
    answer = null;
  }
  pending(card, false);
  if (answer?.ok) {
    showStage(card, to, null);
    recount(from, -1);
    recount(to, 1);
    say(infoBox, kanban.movedNotice(name, to, names));
    refresh(id, to);
    return;
  }
  place(card, from, home);
  const why = answer ? detailOf(body, answer.status) : "the server cannot be reached";
  say(errorBox, kanban.refusedNotice(name, to, names, why));
  card.focus();
}

function ask(card, to) {
  if (!card) return;
  const from = Number(card.dataset.stage);
  if (!kanban.moveAllowed({ from, to, pending: isPending(card), asking: dialog.open })) return;
  asking = { card, to };
  what.textContent = kanban.movePrompt(cardName(card), from, to, names);
  reason.value = "";
  reason.setCustomValidity("");
  dialog.showModal();
  reason.focus();
}

function clearOver(except = null) {
  for (const section of board.querySelectorAll("section.stage.over")) {
    if (section !== except) section.classList.remove("over");
  }
}

board.addEventListener("dragstart", (event) => {
  const card = cardOf(event.target);
  if (!card || isPending(card)) {
    event.preventDefault();
    return;
  }
  dragged = card;
  card.classList.add("dragging");
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData("text/plain", card.dataset.prospectId);
});

board.addEventListener("dragend", () => {
  dragged?.classList.remove("dragging");
  dragged = null;
  clearOver();
});

board.addEventListener("dragover", (event) => {
  const target = columnOf(event.target);
  if (!target) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  clearOver(target);
  target.classList.add("over");
});

board.addEventListener("dragleave", (event) => {
  const target = columnOf(event.target);
  if (target && !target.contains(event.relatedTarget)) target.classList.remove("over");
});

board.addEventListener("drop", (event) => {
  const target = columnOf(event.target);
  if (!target) return;
  event.preventDefault();
  target.classList.remove("over");
  const id = event.dataTransfer.getData("text/plain") || dragged?.dataset.prospectId;
  const card = id ? findCard(id) : null;
  dragged?.classList.remove("dragging");
  dragged = null;
  ask(card, Number(target.dataset.stage));
});

board.addEventListener("keydown", (event) => {
  const card = cardOf(event.target);
  const to = card ? kanban.stageFromKey(event.key, event) : null;
  if (to === null) return;
  event.preventDefault();
  ask(card, to);
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = reason.value.trim();
  if (!text) {
    reason.setCustomValidity("Give a reason for the move.");
    reason.reportValidity();
    return;
  }
  if (!asking) return;
  const { card, to } = asking;
  asking = null;
  dialog.close();
  move(card, to, text);
});

reason.addEventListener("input", () => reason.setCustomValidity(""));
document.getElementById("move-cancel").addEventListener("click", () => dialog.close());
dialog.addEventListener("close", () => {
  asking = null;
});
