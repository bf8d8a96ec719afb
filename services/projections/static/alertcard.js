// One alert's card on the alert dashboard, built from the DOM up (no markup strings): the
// wording comes from alertcards.js; the page (humansherpadashboard.js) says what the buttons do.
globalThis.heroAlertCard = (() => {
  const { lines, clickLines, isSales, isClosed, NOTE_MAX } = globalThis.heroAlerts;

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

  // `act(verb, item)` runs when a button is pressed.
  function card(alert, act) {
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
    ack.addEventListener("click", () => act("acknowledge", item));
    const done = el("button", "primary", "Mark as Actioned");
    done.type = "button";
    done.disabled = isClosed(alert);
    done.addEventListener("click", () => act("action", item));
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

  return Object.freeze({ el, card });
})();
