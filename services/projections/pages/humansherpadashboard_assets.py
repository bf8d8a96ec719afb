"""What the browser runs on the alert dashboard: a constant allowed by its hash in the page's
Content-Security-Policy (its style is in alerts_style.py)."""

ALERTS_SCRIPT = """
const list = document.getElementById("alerts");
const summary = document.getElementById("summary");
const message = document.getElementById("message");
const live = document.getElementById("live");
const filters = document.getElementById("filters");
const STAGE_EVENTS = ["alert.raised", "alert.repeated", "alert.escalated",
  "alert.acknowledged", "alert.actioned", "alert.expired"];
const CLOSED = ["actioned", "expired"];
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
  return isNaN(at) ? String(iso) : at.toLocaleString();
}

function entry(point) {
  if (!point) return "unknown";
  const name = point.cta_label || point.cta_id || point.form_id || point.kind;
  return point.kind === "inquiry" ? "Inquiry form " + name : name;
}

function wanted() {
  return {status: filters.status.value, priority: filters.priority.value};
}

function matches(alert) {
  const want = wanted();
  return (!want.status || alert.status === want.status) &&
    (!want.priority || alert.priority === want.priority);
}

function row(dl, label, value, className) {
  dl.append(el("dt", null, label));
  const dd = value instanceof Node ? value : el("dd", null, value);
  if (className) dd.className = className;
  dl.append(dd);
}

function card(alert) {
  const item = el("li", "alert");
  item.dataset.alertId = alert.id;
  item.dataset.status = alert.status;
  item.dataset.priority = alert.priority;
  const head = el("div", "head");
  head.append(el("span", "badge", alert.priority));
  head.append(el("span", "email", alert.email || alert.prospect_id));
  head.append(el("span", "state", alert.status));
  item.append(head);
  const dl = el("dl");
  if (alert.email) row(dl, "Prospect", alert.prospect_id, "prospect");
  row(dl, "Entry point", entry(alert.entry_point), "entry");
  row(dl, "Stage", alert.current_stage + " \\u2192 " + alert.target_stage, "stages");
  row(dl, "Gap", alert.gap, "gap");
  row(dl, "Action", alert.recommended_action, "recommended");
  const clicks = el("ul", "clicks");
  for (const c of alert.recent_clicks || []) {
    clicks.append(el("li", null,
      (c.cta_label || c.cta_id) + " (stage " + c.cta_stage + ") \\u00b7 " + when(c.occurred_at)));
  }
  const holder = el("dd", "recent");
  if (clicks.childElementCount) holder.append(clicks); else holder.textContent = "none";
  row(dl, "Recent clicks", holder);
  row(dl, "Count", alert.count, "count");
  row(dl, "Raised at", when(alert.raised_at), "raised");
  row(dl, "Status", alert.status, "status");
  if (alert.acknowledged_by) row(dl, "Acknowledged", alert.acknowledged_by + " \\u00b7 " +
    when(alert.acknowledged_at), "acknowledged");
  if (alert.actioned_by) row(dl, "Actioned", alert.actioned_by + " \\u00b7 " +
    when(alert.actioned_at), "actioned");
  item.append(dl);
  const actions = el("div", "actions");
  const ack = el("button", null, "Acknowledge");
  ack.type = "button";
  ack.disabled = alert.status !== "pending";
  ack.addEventListener("click", () => act(alert.id, "acknowledge", item));
  const done = el("button", "primary", "Mark as Actioned");
  done.type = "button";
  done.disabled = CLOSED.includes(alert.status);
  done.addEventListener("click", () => act(alert.id, "action", item));
  actions.append(ack, done);
  item.append(actions);
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  item.append(error);
  return item;
}

function find(id) {
  for (const item of list.children) if (item.dataset.alertId === id) return item;
  return null;
}

function count() {
  const n = list.children.length;
  summary.textContent = n === 0 ? "No alerts match the filters." :
    n + (n === 1 ? " alert" : " alerts") + " shown";
}

function place(alert, error) {
  const old = find(alert.id);
  const fits = matches(alert);
  if (!old && !fits) return;
  const fresh = card(alert);
  if (error) fresh.querySelector(".error").textContent = error;
  if (old) {
    old.replaceWith(fresh);
  } else {
    list.prepend(fresh);
  }
  if (!fits) {
    const closed = CLOSED.includes(alert.status);
    fresh.append(el("p", "gone", closed ? "No longer matches the filters; leaving this view."
      : "No longer matches the filters; it leaves this view on the next refresh."));
    if (closed && !error) {
      setTimeout(() => {
        if (find(alert.id) === fresh) fresh.remove();
        count();
      }, 4000);
    }
  }
  count();
}

async function readError(answer) {
  const detail = await answer.json().then((b) => b.detail).catch(() => null);
  if (typeof detail === "string") return detail + " (" + answer.status + ")";
  return "The server answered " + answer.status + ".";
}

async function act(id, verb, item) {
  const error = item.querySelector(".error");
  error.textContent = "";
  for (const b of item.querySelectorAll("button")) b.disabled = true;
  let answer;
  try {
    answer = await fetch("/v1/alerts/" + encodeURIComponent(id) + "/" + verb, {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json"}, body: "{}"});
  } catch (e) {
    answer = null;
  }
  if (answer && answer.ok) {
    place(await answer.json());
    return;
  }
  const why = answer ? await readError(answer) : "The server cannot be reached; try again.";
  if (answer && answer.status === 401) window.location.assign("/login?next=" +
    encodeURIComponent(location.pathname + location.search));
  const now = await fetchOne(id);
  if (now) {
    place(now, why);
    const shown = find(id);
    if (shown) shown.querySelector(".error").textContent = why;
  } else {
    error.textContent = why;
    for (const b of item.querySelectorAll("button")) b.disabled = false;
  }
}

async function fetchOne(id) {
  try {
    const answer = await fetch("/v1/alerts/" + encodeURIComponent(id),
      {credentials: "same-origin"});
    return answer.ok ? await answer.json() : null;
  } catch (e) {
    return null;
  }
}

async function load() {
  const mine = ++generation;
  loading = true;
  touched = [];
  loaded = true;
  const want = wanted();
  const query = new URLSearchParams({limit: "200"});
  if (want.status) query.set("status", want.status);
  if (want.priority) query.set("priority", want.priority);
  summary.textContent = "Loading alerts\\u2026";
  let answer;
  try {
    answer = await fetch("/v1/alerts?" + query, {credentials: "same-origin"});
  } catch (e) {
    answer = null;
  }
  if (mine !== generation) return;
  loading = false;
  if (!answer || !answer.ok) {
    message.textContent = answer ? "Loading alerts failed: " + await readError(answer)
      : "The server cannot be reached; the list is not up to date.";
    if (answer && answer.status === 401) window.location.assign("/login?next=" +
      encodeURIComponent(location.pathname + location.search));
    count();
    return;
  }
  message.textContent = "";
  const page = await answer.json();
  list.replaceChildren(...page.alerts.map((a) => card(a)));
  for (const alert of touched) place(alert);
  touched = [];
  count();
  if (page.next_cursor) summary.textContent += " (the newest 200; narrow the filters for more)";
}

async function changed(event) {
  let id;
  try {
    id = JSON.parse(event.data).alert_id;
  } catch (e) {
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
      indicate("closed", "Disconnected \\u2014 retrying\\u2026");
      setTimeout(connect, 5000);
    } else {
      indicate("reconnecting", "Reconnecting\\u2026");
    }
  });
  for (const name of STAGE_EVENTS) source.addEventListener(name, changed);
}

filters.addEventListener("change", () => {
  const query = new URLSearchParams();
  const want = wanted();
  query.set("status", want.status);
  if (want.priority) query.set("priority", want.priority);
  history.replaceState(null, "", location.pathname + "?" + query);
  load();
});
filters.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
connect();
setTimeout(() => { if (!loaded) load(); }, 2000);
"""
