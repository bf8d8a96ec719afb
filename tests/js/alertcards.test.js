import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.js";

const {
  compare,
  matches,
  isClosed,
  lines,
  clickLines,
  prospectHref,
  actionBody,
  errorText,
  isSales,
  salesHeadline,
} = load("alertcards.js").heroAlerts;

const when = (iso) => `<${iso}>`;

function alert(changes = {}) {
  return {
    id: "a1",
    prospect_id: "v-1",
    status: "pending",
    priority: "HIGH",
    email: null,
    entry_point: { kind: "cta", cta_id: "webinar", cta_label: "Webinar" },
    current_stage: 2,
    target_stage: 4,
    gap: 2,
    recommended_action: "Phone follow-up within 24 hours",
    count: 1,
    raised_at: "2026-11-24T10:00:00Z",
    clicked_at: "2026-11-24T10:00:00Z",
    recent_clicks: [],
    ...changes,
  };
}

function read(shown) {
  return Object.fromEntries(lines(shown, when).map((l) => [l.label, l.text]));
}

test("urgent alerts come first, then the newest raised, then by id like the API", () => {
  const alerts = [
    alert({ id: "h-old", raised_at: "2026-11-24T09:00:00Z" }),
    alert({ id: "u-old", priority: "URGENT", raised_at: "2026-11-24T08:00:00Z" }),
    alert({ id: "h-new", raised_at: "2026-11-24T11:00:00Z" }),
    alert({ id: "u-new", priority: "URGENT", raised_at: "2026-11-24T10:00:00Z" }),
    alert({ id: "u-new-b", priority: "URGENT", raised_at: "2026-11-24T10:00:00.000+00:00" }),
  ];
  assert.deepEqual(
    alerts.sort(compare).map((a) => a.id),
    ["u-new-b", "u-new", "u-old", "h-new", "h-old"],
  );
});

test("filters keep an alert only when its status and priority are the ones chosen", () => {
  const urgent = alert({ priority: "URGENT", status: "acknowledged" });
  assert.equal(matches(urgent, { status: "", priority: "" }), true);
  assert.equal(matches(urgent, { status: "acknowledged", priority: "URGENT" }), true);
  assert.equal(matches(urgent, { status: "pending", priority: "" }), false);
  assert.equal(matches(urgent, { status: "", priority: "HIGH" }), false);
});

test("actioned, resolved and expired alerts are closed; pending and acknowledged are open", () => {
  const closed = ["pending", "acknowledged", "actioned", "resolved", "expired"].map((status) =>
    isClosed(alert({ status })),
  );
  assert.deepEqual(closed, [false, false, true, true, true]);
});

test("a card reads stage jump, gap, entry point and when it was raised", () => {
  const told = read(alert());
  assert.equal(told.Stage, "2 \u2192 4");
  assert.equal(told.Gap, "2");
  assert.equal(told["Entry point"], "Webinar");
  assert.equal(told["Raised at"], "<2026-11-24T10:00:00Z>");
  assert.equal(
    read(alert({ entry_point: { kind: "inquiry", form_id: "f" } }))["Entry point"],
    "Inquiry form f",
  );
  assert.equal(read(alert({ entry_point: null }))["Entry point"], "unknown");
});

test("the click's own time shows beside the raised time only when the two differ", () => {
  const late = alert({ raised_at: "2026-11-24T10:05:00Z", clicked_at: "2026-11-24T10:00:00Z" });
  assert.equal(read(late)["Raised at"], "<2026-11-24T10:05:00Z> (click at <2026-11-24T10:00:00Z>)");
  const same = alert({
    raised_at: "2026-11-24T10:00:00Z",
    clicked_at: "2026-11-24T10:00:00+00:00",
  });
  assert.equal(read(same)["Raised at"], "<2026-11-24T10:00:00Z>");
  assert.equal(read(alert({ clicked_at: null }))["Raised at"], "<2026-11-24T10:00:00Z>");
  assert.equal(lines(alert(), when).find((l) => l.name === "raised").since, "2026-11-24T10:00:00Z");
});

test("who acknowledged, actioned with their note, or resolved by a move is on the card", () => {
  const told = read(
    alert({
      status: "resolved",
      acknowledged_by: "ann@x.io",
      acknowledged_at: "2026-11-24T10:01:00Z",
      resolved_by: "kim@x.io",
      resolved_at: "2026-11-24T11:00:00Z",
      resolved_stage: 5,
      resolved_note: "signed",
    }),
  );
  assert.equal(told.Acknowledged, "ann@x.io \u00b7 <2026-11-24T10:01:00Z>");
  assert.equal(told.Resolved, "moved to stage 5 by kim@x.io \u00b7 <2026-11-24T11:00:00Z>");
  assert.equal(told["Move reason"], "signed");
  const done = read(
    alert({ actioned_by: "bob@x.io", actioned_at: "2026-11-24T12:00:00Z", note: "called" }),
  );
  assert.equal(done.Actioned, "bob@x.io \u00b7 <2026-11-24T12:00:00Z>");
  assert.equal(done.Note, "called");
  assert.equal(read(alert()).Note, undefined);
});

test("the prospect links to its record page with the id url-encoded", () => {
  assert.equal(prospectHref("v 1/ä?x"), "/prospects/v%201%2F%C3%A4%3Fx");
  const line = lines(alert({ email: "a@x.io", prospect_id: "v/1" }), when)[0];
  assert.deepEqual([line.label, line.text, line.href], ["Prospect", "v/1", "/prospects/v%2F1"]);
});

test("recent clicks read label, stage and time", () => {
  const clicks = [{ cta_id: "demo", cta_label: "", cta_stage: 4, occurred_at: "T" }];
  assert.deepEqual(clickLines(alert({ recent_clicks: clicks }), when), [
    "demo (stage 4) \u00b7 <T>",
  ]);
});

test("marking actioned sends the typed note, trimmed, or no note at all", () => {
  assert.equal(actionBody("  called, demo booked \n"), '{"note":"called, demo booked"}');
  assert.equal(actionBody("   "), "{}");
  assert.equal(actionBody(undefined), "{}");
});

test("a refusal reads as the server's detail, or each invalid field and why", () => {
  assert.equal(errorText({ detail: "already acknowledged" }, 409), "already acknowledged (409)");
  assert.equal(
    errorText({ detail: "invalid request", errors: [{ field: "note", message: "too long" }] }, 422),
    "note: too long (422)",
  );
  assert.equal(errorText(null, 502), "The server answered 502.");
});

test("a sales request's card says which tier they want and has, who asked and what they wrote", () => {
  const sales = alert({
    kind: "sales",
    email: "ana@example.com",
    entry_point: null,
    current_stage: null,
    target_stage: null,
    gap: null,
    name: "Ana Silva",
    message: "A team of 40",
    required_tier: "Enterprise",
    current_tier: "Accelerator",
    cta_id: "talk-to-sales",
  });
  assert.equal(isSales(sales), true);
  assert.equal(isSales(alert()), false);
  const shown = read(sales);
  assert.equal(shown.Request, "Talk to Sales: wants Enterprise (has Accelerator)");
  assert.equal(shown.Name, "Ana Silva");
  assert.equal(shown.Message, "A team of 40");
  assert.equal(shown["From CTA"], "talk-to-sales");
  assert.equal(shown.Stage, undefined);
  assert.equal(shown.Gap, undefined);
  assert.equal(salesHeadline({ kind: "sales" }), "Talk to Sales: wants a higher tier");
});
