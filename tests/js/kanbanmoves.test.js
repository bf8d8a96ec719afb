import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.js";

const kanban = load("kanbanmoves.js").heroKanban;
const NAMES = [
  "Call to Discovery",
  "Exploration",
  "Validation",
  "Commitment",
  "Construction",
  "Mastery",
];

test("a card moves to any other stage, never to its own or off the board", () => {
  assert.equal(kanban.moveAllowed({ from: 1, to: 4 }), true);
  assert.equal(kanban.moveAllowed({ from: 6, to: 1 }), true);
  assert.equal(kanban.moveAllowed({ from: 3, to: 3 }), false);
  for (const to of [0, 7, 2.5, Number.NaN]) {
    assert.equal(kanban.moveAllowed({ from: 1, to }), false, `to ${to}`);
  }
});

test("a card whose move is being recorded, or while a reason is asked, does not move", () => {
  assert.equal(kanban.moveAllowed({ from: 1, to: 4, pending: true }), false);
  assert.equal(kanban.moveAllowed({ from: 1, to: 4, asking: true }), false);
});

test("only a stage number pressed without modifiers asks for a move", () => {
  assert.equal(kanban.stageFromKey("1"), 1);
  assert.equal(kanban.stageFromKey("6"), 6);
  for (const key of ["0", "7", "12", "a", "Enter", " "]) {
    assert.equal(kanban.stageFromKey(key), null, key);
  }
  assert.equal(kanban.stageFromKey("4", { ctrlKey: true }), null);
  assert.equal(kanban.stageFromKey("4", { altKey: true }), null);
  assert.equal(kanban.stageFromKey("4", { metaKey: true }), null);
  assert.equal(kanban.stageFromKey("4", { altKey: false, shiftKey: false }), 4);
});

test("a stage reads as its number and name, and the card's line as points and clicks", () => {
  assert.equal(kanban.stageLabel(4, NAMES), "4 · Commitment");
  assert.equal(kanban.activityLine(10, 1), "10 pts · 1 click");
  assert.equal(kanban.activityLine(0, 0), "0 pts · 0 clicks");
  assert.equal(kanban.activityLine(250, 7), "250 pts · 7 clicks");
});

test("the question and the outcomes name the prospect and both stages", () => {
  assert.equal(
    kanban.movePrompt("a@x.io", 1, 4, NAMES),
    "Move a@x.io from stage 1 · Call to Discovery to stage 4 · Commitment.",
  );
  assert.equal(kanban.movedNotice("a@x.io", 4, NAMES), "Moved a@x.io to stage 4 · Commitment.");
  assert.equal(
    kanban.refusedNotice("v-1", 4, NAMES, "the prospect is already in stage 4"),
    "Could not move v-1 to stage 4 · Commitment: the prospect is already in stage 4",
  );
});

test("a move has arrived only once the board lists that prospect in the new stage", () => {
  const rows = [
    { prospect_id: "v-10", stage: 4 },
    { prospect_id: "v-1", stage: 1 },
  ];
  assert.equal(kanban.moveArrived(rows, "v-1", 4), undefined);
  assert.deepEqual(kanban.moveArrived(rows, "v-10", 4), { prospect_id: "v-10", stage: 4 });
  assert.equal(kanban.moveArrived(undefined, "v-1", 4), undefined);
});

test("a prospect id is encoded whole in the API's addresses", () => {
  assert.equal(kanban.stageUrl("a/b?c#d"), "/v1/prospects/a%2Fb%3Fc%23d/stage");
  assert.equal(kanban.boardQuery("x&limit=1"), "/v1/board?limit=50&q=x%26limit%3D1");
});

test("the board is re-read less and less often", () => {
  const waits = [0, 1, 2, 7].map(kanban.retryDelay);
  assert.deepEqual(waits, [400, 700, 1000, 2500]);
});
