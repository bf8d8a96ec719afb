// The alert dashboard: loads the alerts, keeps them in order as the live feed changes them, and
// acknowledges or actions them. Ordering and wording come from alertcards.js.
const { compare, matches, isClosed, lines, clickLines, isSales, actionBody, errorText, NOTE_MAX } =
  globalThis.heroAlerts;
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

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? String(iso) : at.toLocaleString();
}

function link(href, className, text) {
  const a = el("a", className, text);
  a.href = href;
  return a;
}

function wanted() {
  return { status: filters.status.value, priority: filters.priority.value };
}

function lineOf(line) {
  const dd = el("dd", line.name);
  if (line.href) dd.append(link(line.href, null, line.text));
  else dd.textContent = line.text;
  if (line.since) {
    const ago = el("span", "ago");
    ago.dataset.since = line.since;
    ago.dataset.suffix = " ago";
    dd.append(" \u00b7 ", ago);
  }
  return dd;
}

function card(alert) {
  const item = el("li", "tile alert");
  item.dataset.alertId = alert.id;
  item.dataset.status = alert.status;
  item.dataset.priority = alert.priority;
  item.dataset.kind = alert.kind || "skip";
  const head = el("div", "head");
  const name = link(`/prospects/${encodeURIComponent(alert.prospect_id)}`, "email");
  name.textContent = alert.email || alert.prospect_id;
  head.append(el("span", "badge", alert.priority));
  if (isSales(alert)) head.append(el("span", "kind", "Talk to Sales"));
  head.append(name, el("span", "state", alert.status));
  item.append(head);
  const dl = el("dl");
  for (const line of lines(alert, when)) dl.append(el("dt", null, line.label), lineOf(line));
  if (!isSales(alert)) dl.append(el("dt", null, "Recent clicks"), recentClicks(alert));
  item.append(dl);
  if (!isClosed(alert)) item.append(noteField());
  const actions = el("div", "actions");
  const ack = el("button", null, "Acknowledge");
  ack.type = "button";
  ack.disabled = alert.status !== "pending";
  ack.addEventListener("click", () => act(alert.id, "acknowledge", item));
  const done = el("button", "primary", "Mark as Actioned");
  done.type = "button";
  done.disabled = isClosed(alert);
  done.addEventListener("click", () => act(alert.id, "action", item));
  actions.append(ack, done);
  item.append(actions);
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  item.append(error);
  return item;
}

function recentClicks(alert) {
  const clicks = el("ul", "clicks");
  for (const text of clickLines(alert, when)) clicks.append(el("li", null, text));
  const recent = el("dd", "recent");
  if (clicks.childElementCount) recent.append(clicks);
  else recent.textContent = "none";
  return recent;
}

function noteField() {
  const label = el("label", "note-field", "Note when actioned (optional)");
  const input = el("textarea", "note-input");
  input.rows = 2;
  input.maxLength = NOTE_MAX;
  input.placeholder = "what was done: called, booked a demo…";
  label.append(input);
  return label;
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
