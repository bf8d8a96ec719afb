import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.js";

const { humanise, detailOf } = load("format.js").heroFormat;

test("a time in stage reads as a consultant says it", () => {
  const told = [
    [-30, "under 1 min"],
    [59, "under 1 min"],
    [60 * 12 + 5, "12 min"],
    [3600 * 3 + 60 * 10, "3 h 10 min"],
    [3600 * 5, "5 h"],
    [86400 * 2 + 3600 * 4 + 60 * 9, "2 d 4 h"],
    [86400 * 40, "40 d"],
  ];
  for (const [seconds, words] of told) assert.equal(humanise(seconds), words, `${seconds} s`);
});

test("a duration that is not a number reads as under a minute, never NaN", () => {
  assert.equal(humanise(Number.NaN), "under 1 min");
});

test("a failed call's detail is shown as the server worded it", () => {
  assert.equal(detailOf({ detail: "no such prospect" }, 404), "no such prospect");
  assert.equal(
    detailOf({ detail: [{ msg: "stage too high" }, { loc: ["x"] }] }, 422),
    'stage too high; {"loc":["x"]}',
  );
  assert.equal(detailOf(null, 502), "the server answered 502");
  assert.equal(
    detailOf(
      { detail: "invalid request", errors: [{ field: "new_password", message: "too long" }] },
      422,
    ),
    "invalid request: new_password: too long",
  );
});
