import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.js";

const { describe, describeEntryPoint, withSalesRequests } = load("timeline.js").heroTimeline;
const NAMES = ["Discovery", "Exploration", "Validation", "Commitment", "Construction", "Mastery"];

test("a click tells its CTA, the points with the gap multiplier, and the total", () => {
  const told = describe(
    {
      kind: "points.awarded",
      cta: { id: "demo", label: "Book a demo", stage: 5, points: 40 },
      gap: 3,
      multiplier: 3,
      points: 120,
      total_points: 170,
    },
    NAMES,
  );
  assert.deepEqual(
    { ...told },
    {
      title: "Clicked “Book a demo” (5 · Construction CTA)",
      detail: "+120 points, 40 × 3 (gap 3), 170 in all",
    },
  );
});

test("a manual move is told once, by the move, with who moved it and why", () => {
  const move = describe(
    {
      kind: "prospect.moved_manually",
      from_stage: 2,
      to_stage: 4,
      consultant: "ann@example.com",
      reason: "signed the LOI",
      points_delta: 75,
    },
    NAMES,
  );
  assert.equal(move.title, "Moved 2 · Exploration → 4 · Commitment by ann@example.com");
  assert.equal(move.detail, "“signed the LOI”, +75 points");
  assert.equal(describe({ kind: "stage.changed", cause: "manual" }, NAMES), null);
  assert.equal(
    describe({ kind: "stage.changed", cause: "points", old_stage: 1, new_stage: 2 }, NAMES).title,
    "1 · Discovery → 2 · Exploration",
  );
});

test("an entry point reads as its CTA or form, its page and its campaign", () => {
  assert.equal(
    describeEntryPoint({
      kind: "cta",
      cta_id: "demo",
      cta_label: "Book a demo",
      page: "https://example.com/pricing",
      utm: { source: "google", medium: null, campaign: "q4" },
    }),
    "CTA “Book a demo” (demo), on https://example.com/pricing, UTM google / q4",
  );
  assert.equal(
    describeEntryPoint({ kind: "inquiry", form_id: "contact", utm: {} }),
    "Inquiry form contact",
  );
});

test("an event the page does not know yet still shows its kind", () => {
  assert.deepEqual(
    { ...describe({ kind: "something.new" }, NAMES) },
    {
      title: "something.new",
      detail: "",
    },
  );
});

test("a request to talk to sales joins the journey's timeline in time order, told with its tiers", () => {
  const journey = [
    { kind: "prospect.created", stage: 1, occurred_at: "2026-11-24T10:00:00Z" },
    { kind: "prospect.email_linked", email: "a@x.io", occurred_at: "2026-11-24T12:00:00Z" },
  ];
  const alerts = [
    { kind: "skip", raised_at: "2026-11-24T10:30:00Z" },
    {
      kind: "sales",
      raised_at: "2026-11-24T11:00:00Z",
      required_tier: "Enterprise",
      current_tier: "Accelerator",
      name: "Ana",
      message: "40 seats?",
    },
  ];
  const merged = withSalesRequests(journey, alerts);
  assert.deepEqual(
    [...merged.map((e) => e.kind)],
    ["prospect.created", "sales_contact.requested", "prospect.email_linked"],
  );
  assert.deepEqual(
    { ...describe(merged[1], NAMES) },
    {
      title: "Asked to talk to sales: wants Enterprise (has Accelerator)",
      detail: "Ana: “40 seats?”",
    },
  );
});
