// The alert dashboard: loads the alerts, keeps them in order as the live feed changes them, and
// acknowledges or actions them. Ordering and wording come from alertcards.js, cards from
// alertcard.js.
const { compare, matches, isClosed, actionBody, errorText } = globalThis.heroAlerts;
const { el, card: cardOf } = globalThis.heroAlertCard;
const { showDurations } = globalThis.heroLayout;

const list = document.getElementById("alerts");
const summary = document.getElementById("summary");
const message = document.getElementById("message");
const live = document.getElementById("live");
const filters = document.getElementById("filters");
const FEED_EVENTS = [
  "alert.raised",
  "sales_alert.raised",
  "alert.repeated",
  "alert.escalated",
  "alert.acknowledged",
  "alert.actioned",
  "alert.resolved",
  "alert.expired",
];
const shown = new Map(); // alert id -> the alert its card shows, to keep cards in order
let generation = 0;
let loading = false;
let touched = [];
let loaded = false;

function wanted() {
  return { status: filters.status.value, priority: filters.priority.value };
}

function card(alert) {
  return cardOf(alert, (verb, item) => act(alert.id, verb, item));
}

function find(id) {
  for (const item of list.children) if (item.dataset.alertId === id) return item;
  return null;
}

function count() {
  const n = list.children.length;
  summary.textContent =
    n === 0 ? "No alerts match the filters." : `${n}${n === 1 ? " alert" : " alerts"} shown`;
}

function insertInOrder(item, alert) {
  shown.set(alert.id, alert);
  for (const other of list.children) {
    const theirs = shown.get(other.dataset.alertId);
    if (theirs && compare(alert, theirs) < 0) {
      list.insertBefore(item, other);
      return;
    }
  }
  list.append(item);
}

function forget(item) {
  shown.delete(item.dataset.alertId);
  item.remove();
}

// A consultant may be typing a note on a card the live feed redraws: keep their text and focus.
function keepTyping(old, fresh) {
  const typed = old.querySelector(".note-input");
  const input = fresh.querySelector(".note-input");
  if (!typed || !input) return () => {};
  input.value = typed.value;
  if (document.activeElement !== typed) return () => {};
  const [start, end] = [typed.selectionStart, typed.selectionEnd];
  return () => {
    input.focus();
    input.setSelectionRange(start, end);
  };
}

function place(alert, error) {
  const old = find(alert.id);
  const fits = matches(alert, wanted());
  if (!old && !fits) return;
  const fresh = card(alert);
  const refocus = old ? keepTyping(old, fresh) : () => {};
  if (error) fresh.querySelector(".error").textContent = error;
  if (old) forget(old);
  insertInOrder(fresh, alert);
  refocus();
  showDurations(fresh);
  if (!fits) {
    const closed = isClosed(alert);
    fresh.append(
      el(
        "p",
        "gone",
        closed
          ? "No longer matches the filters; leaving this view."
          : "No longer matches the filters; it leaves this view on the next refresh.",
      ),
    );
    if (closed && !error) {
      setTimeout(() => {
        if (find(alert.id) === fresh) forget(fresh);
        count();
      }, 4000);
    }
  }
  count();
}

async function readError(answer) {
  const body = await answer.json().catch(() => null);
  return errorText(body, answer.status);
}

function toLogin() {
  window.location.assign(
    `/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`,
  );
}

async function act(id, verb, item) {
  const error = item.querySelector(".error");
  error.textContent = "";
  const controls = item.querySelectorAll("button, textarea");
  for (const control of controls) control.disabled = true;
  const note = item.querySelector(".note-input")?.value;
  let answer;
  try {
    answer = await fetch(`/v1/alerts/${encodeURIComponent(id)}/${verb}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: verb === "action" ? actionBody(note) : "{}",
    });
  } catch {
    answer = null;
  }
  if (answer?.ok) {
    place(await answer.json());
    return;
  }
  const why = answer ? await readError(answer) : "The server cannot be reached; try again.";
  if (answer?.status === 401) toLogin();
  const now = await fetchOne(id);
  // Refused while the alert is still what this card shows (a bad note): let them fix it.
  if (now && now.status !== item.dataset.status) {
    place(now, why);
    return;
  }
  error.textContent = why;
  for (const control of controls) control.disabled = false;
  const ack = item.querySelector(".actions button:not(.primary)");
  if (ack) ack.disabled = item.dataset.status !== "pending";
}

async function fetchOne(id) {
  try {
    const answer = await fetch(`/v1/alerts/${encodeURIComponent(id)}`, {
      credentials: "same-origin",
    });
    return answer.ok ? await answer.json() : null;
  } catch {
    return null;
  }
}

async function load() {
  const mine = ++generation;
  loading = true;
  touched = [];
  loaded = true;
  const want = wanted();
  const query = new URLSearchParams({ limit: "200" });
  if (want.status) query.set("status", want.status);
  if (want.priority) query.set("priority", want.priority);
  summary.textContent = "Loading alerts\u2026";
  let answer;
  try {
    answer = await fetch(`/v1/alerts?${query}`, { credentials: "same-origin" });
  } catch {
    answer = null;
  }
  if (mine !== generation) return;
  loading = false;
  if (!answer?.ok) {
    message.textContent = answer
      ? `Loading alerts failed: ${await readError(answer)}`
      : "The server cannot be reached; the list is not up to date.";
    if (answer?.status === 401) toLogin();
    count();
    return;
  }
  message.textContent = "";
  const page = await answer.json();
  shown.clear();
  list.replaceChildren();
  for (const alert of page.alerts) insertInOrder(card(alert), alert);
  showDurations(list);
  for (const alert of touched) place(alert);
  touched = [];
  count();
  if (page.next_cursor) summary.textContent += " (the first 200; narrow the filters for more)";
}

async function changed(event) {
  let id;
  try {
    id = JSON.parse(event.data).alert_id;
  } catch {
    return;
  }
  if (!id) return;
  let alert = await fetchOne(id);
  if (!alert) {
    await new Promise((r) => setTimeout(r, 500));
    alert = await fetchOne(id);
  }
  if (!alert) return;
  if (loading) touched.push(alert);
  place(alert);
}

function indicate(state, text) {
  live.dataset.state = state;
  live.textContent = text;
}

function connect() {
  const source = new EventSource("/v1/alerts/stream");
  source.addEventListener("open", () => {
    indicate("live", "Live");
    if (!loaded) load();
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      indicate("closed", "Disconnected \u2014 retrying\u2026");
      setTimeout(connect, 5000);
    } else {
      indicate("reconnecting", "Reconnecting\u2026");
    }
  });
  for (const name of FEED_EVENTS) source.addEventListener(name, changed);
}

filters.addEventListener("change", () => {
  const query = new URLSearchParams();
  const want = wanted();
  query.set("status", want.status);
  if (want.priority) query.set("priority", want.priority);
  window.history.replaceState(null, "", `${window.location.pathname}?${query}`);
  load();
});
filters.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
connect();
setTimeout(() => {
  if (!loaded) load();
}, 2000);
