import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

// t.js is served by ingest; without a document it only hands its pure parts to the test.
const source = readFileSync(new URL("../../services/ingest/static/t.js", import.meta.url), "utf8");
const context = vm.createContext({ URLSearchParams });
vm.runInContext(source, context, { filename: "t.js" });
const { utmOf, ctaOf, delayAfter, outbox, clean } = context.heroTrackerParts;
// Values of the script's realm, made plain for deepEqual.
const plain = (value) => JSON.parse(JSON.stringify(value));

test("a landing URL's UTM parameters become the event's utm", () => {
  const utm = utmOf("?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=crm&x=1");
  assert.deepEqual(plain(utm), { source: "google", medium: "cpc", campaign: "spring" });
});

test("a landing without UTM parameters has none, and empty ones count as absent", () => {
  assert.equal(utmOf("?page=2"), null);
  assert.equal(utmOf("?utm_source=&utm_campaign=%20"), null);
});

test("UTM values lose the characters ingest refuses and are cut to 200", () => {
  const utm = utmOf(`?utm_campaign=spr%00ing%E2%80%AE&utm_source=${"a".repeat(300)}`);
  assert.equal(utm.campaign, "spring");
  assert.equal(utm.source.length, 200);
});

test("a CTA's data attributes become the producer schema's cta, integers as integers", () => {
  const cta = ctaOf({
    ctaId: "book-demo",
    ctaLabel: "Book a demo",
    ctaStage: "4",
    ctaPoints: "30",
    ctaRequiredTier: "pro",
  });
  assert.deepEqual(plain(cta), {
    id: "book-demo",
    label: "Book a demo",
    stage: 4,
    points: 30,
    required_tier: "pro",
  });
  assert.equal(ctaOf({ ctaLabel: "no id" }), null);
  assert.equal(ctaOf({ ctaId: "x", ctaStage: "two" }).stage, null); // ingest names the field
  assert.equal(clean("  \u202e  ", 10), null);
});

test("retries wait 1, 2, 4 ... seconds, at most a minute", () => {
  assert.deepEqual(
    plain([1, 2, 3, 7, 20].map((n) => delayAfter(n))),
    [1000, 2000, 4000, 60000, 60000],
  );
});

function recorder(answers) {
  const posts = [];
  const waits = [];
  const post = async (events) => {
    posts.push(events.map((e) => e.event_id));
    return answers.shift() ?? 202;
  };
  return { posts, waits, wait: async (ms) => waits.push(ms), post };
}

test("a batch answered 503 or lost on the network is sent again with the same event ids", async () => {
  const r = recorder([503, 0]);
  const box = outbox(r.post, r.wait);
  box.queue.push({ event_id: "a" }, { event_id: "b" });
  await box.flush();
  assert.deepEqual(plain(r.posts), [
    ["a", "b"],
    ["a", "b"],
    ["a", "b"],
  ]);
  assert.deepEqual(r.waits, [1000, 2000]);
  assert.equal(box.queue.length, 0);
});

test("events queued while a batch waits to be retried do not join that batch", async () => {
  const r = recorder([503]);
  const box = outbox(r.post, async (ms) => {
    r.waits.push(ms);
    box.queue.push({ event_id: "c" });
  });
  box.queue.push({ event_id: "a" });
  await box.flush();
  assert.deepEqual(plain(r.posts), [["a"], ["a"], ["c"]]);
});

test("a batch refused for good (422) is dropped, not retried", async () => {
  const r = recorder([422]);
  const box = outbox(r.post, r.wait);
  box.queue.push({ event_id: "a" });
  await box.flush();
  assert.deepEqual(plain(r.posts), [["a"]]);
  assert.deepEqual(r.waits, []);
});

test("at page leave everything unsent, the batch awaiting a retry first, goes in batches of 50", async () => {
  let release;
  const box = outbox(
    async () => 503,
    () =>
      new Promise((done) => {
        release = done;
      }),
  );
  box.queue.push({ event_id: "retry" });
  const flushing = box.flush();
  await new Promise((done) => setImmediate(done));
  for (let i = 0; i < 60; i += 1) box.queue.push({ event_id: `e${i}` });
  const batches = box.drain();
  assert.deepEqual(plain(batches.map((b) => b.length)), [1, 50, 10]);
  assert.equal(batches[0][0].event_id, "retry");
  assert.deepEqual(plain(box.drain()), []);
  release();
  await flushing;
});
