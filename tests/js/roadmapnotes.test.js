import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.js";

const notes = load("roadmapnotes.js").heroNotes;

test("a note's time reads as the server renders it, in UTC to the minute", () => {
  assert.equal(notes.recordedAt("2026-03-01T09:05:59.123+00:00"), "2026-03-01 09:05 UTC");
  assert.equal(notes.recordedAt("2026-03-01T01:30:00+02:00"), "2026-02-28 23:30 UTC");
});

test("a time the browser cannot read is shown as it came", () => {
  assert.equal(notes.recordedAt("yesterday"), "yesterday");
});

test("notes are read and added at one address, the prospect's id encoded whole", () => {
  assert.equal(notes.notesUrl("v-1"), "/v1/prospects/v-1/roadmap-notes");
  assert.equal(notes.notesUrl("a/b?c"), "/v1/prospects/a%2Fb%3Fc/roadmap-notes");
});

test("a new note is listed only once the read notes carry its id", () => {
  const read = [{ note_id: "n-2" }, { note_id: "n-1" }];
  assert.equal(notes.isListed(read, "n-1"), true);
  assert.equal(notes.isListed(read, "n-3"), false);
  assert.equal(notes.isListed(undefined, "n-1"), false);
});

test("the notes are re-read less and less often", () => {
  assert.deepEqual([0, 1, 9].map(notes.retryDelay), [300, 500, 2100]);
});
