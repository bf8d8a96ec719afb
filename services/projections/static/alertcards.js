// How the alert dashboard orders, words and filters alerts. Pure, so tests/js runs it under node.
globalThis.heroAlerts = Object.freeze({
  compare,
  matches,
  isClosed,
  lines,
  clickLines,
  isSales,
  salesHeadline,
  entryLabel,
  prospectHref,
  actionBody,
  errorText,
  NOTE_MAX: 2000,
});

const CLOSED = ["actioned", "resolved", "expired"];

// The order GET /v1/alerts answers in: URGENT before HIGH, then newest raised, then id descending.
function compare(a, b) {
  const urgency = (b.priority === "URGENT") - (a.priority === "URGENT");
  if (urgency) return urgency;
  const newer = Date.parse(b.raised_at) - Date.parse(a.raised_at);
  if (newer) return newer;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}

function matches(alert, want) {
  return (
    (!want.status || alert.status === want.status) &&
    (!want.priority || alert.priority === want.priority)
  );
}

function isClosed(alert) {
  return CLOSED.includes(alert.status);
}

function entryLabel(point) {
  if (!point) return "unknown";
  const name = point.cta_label || point.cta_id || point.form_id || point.kind;
  return point.kind === "inquiry" ? `Inquiry form ${name}` : name;
}

function prospectHref(id) {
  return `/prospects/${encodeURIComponent(id)}`;
}

function sameMoment(a, b) {
  return Date.parse(a) === Date.parse(b);
}

function isSales(alert) {
  return alert.kind === "sales";
}

// What a request to talk to sales asks: "Talk to Sales: wants Enterprise (has Accelerator)".
function salesHeadline(alert) {
  const wants = alert.required_tier || "a higher tier";
  const has = alert.current_tier ? ` (has ${alert.current_tier})` : "";
  return `Talk to Sales: wants ${wants}${has}`;
}

// The card's lines, in order: {label, text, name} (name is the line's class), with `href` on a
// link and `since` on a line that also shows how long ago. `when` words a time.
function lines(alert, when) {
  const out = [];
  const add = (label, text, name, extra = {}) =>
    out.push({ label, text: String(text), name, ...extra });
  if (alert.email) {
    add("Prospect", alert.prospect_id, "prospect", { href: prospectHref(alert.prospect_id) });
  }
  if (isSales(alert)) {
    add("Request", salesHeadline(alert), "sales-request");
    if (alert.name) add("Name", alert.name, "sales-name");
    if (alert.message) add("Message", alert.message, "sales-message");
    if (alert.cta_id) add("From CTA", alert.cta_id, "sales-cta");
    add("Action", alert.recommended_action, "recommended");
  } else {
    add("Entry point", entryLabel(alert.entry_point), "entry");
    add("Stage", `${alert.current_stage} \u2192 ${alert.target_stage}`, "stages");
    add("Gap", alert.gap, "gap");
    add("Action", alert.recommended_action, "recommended");
    add("Count", alert.count, "count");
  }
  const clicked =
    alert.clicked_at && !sameMoment(alert.clicked_at, alert.raised_at)
      ? ` (click at ${when(alert.clicked_at)})`
      : "";
  add("Raised at", when(alert.raised_at) + clicked, "raised", { since: alert.raised_at });
  add("Status", alert.status, "status");
  if (alert.acknowledged_by) {
    add(
      "Acknowledged",
      `${alert.acknowledged_by} \u00b7 ${when(alert.acknowledged_at)}`,
      "acknowledged",
    );
  }
  if (alert.actioned_by) {
    add("Actioned", `${alert.actioned_by} \u00b7 ${when(alert.actioned_at)}`, "actioned");
  }
  if (alert.note) add("Note", alert.note, "note");
  if (alert.resolved_by) {
    const moved = `moved to stage ${alert.resolved_stage} by ${alert.resolved_by}`;
    add("Resolved", `${moved} \u00b7 ${when(alert.resolved_at)}`, "resolved");
    if (alert.resolved_note) add("Move reason", alert.resolved_note, "move-reason");
  }
  if (alert.expired_at) add("Expired", when(alert.expired_at), "expired");
  return out;
}

function clickLines(alert, when) {
  return (alert.recent_clicks || []).map(
    (c) => `${c.cta_label || c.cta_id} (stage ${c.cta_stage}) \u00b7 ${when(c.occurred_at)}`,
  );
}

// The body of POST .../action: the note when one was typed, else none.
function actionBody(typed) {
  const note = String(typed ?? "").trim();
  return JSON.stringify(note ? { note } : {});
}

// What a refused call says: the server's detail, or each invalid field with its message.
function errorText(body, status) {
  if (Array.isArray(body?.errors) && body.errors.length) {
    const fields = body.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    return `${fields} (${status})`;
  }
  if (typeof body?.detail === "string") return `${body.detail} (${status})`;
  return `The server answered ${status}.`;
}
