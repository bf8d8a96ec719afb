// The website tracker: CTA clicks, UTM attribution and custom events, posted to the product's
// POST /v1/events in batches. Load it on every page of a site:
// <script src="https://crm.example/t.js" data-key="PRODUCER_KEY" defer></script>
// Options (data attributes): data-cookie (visitor id cookie name, "hero_vid"), data-consent
// ("required": nothing is stored or sent until hero.consent(true)), data-flush-ms (5000).
// No framework, no CDN, no inline styles or scripts: strict CSPs welcome.
(() => {
  const UTM_KEYS = ["source", "medium", "campaign"];
  const SHARED_ID = "hero-visitor-id"; // the gate and upgrade widgets' localStorage key
  const UTM_STORE = "hero-utm";
  const MAX_BATCH = 50; // keeps a beacon or keepalive body well under the browsers' 64 KiB
  const MAX_DELAY_MS = 60000;

  // The producer schema refuses control and bidirectional formatting characters.
  function hidden(character) {
    const code = character.codePointAt(0);
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  }

  // Text as the producer schema takes it: no hidden characters, at most `max` long, or null.
  function clean(text, max) {
    if (text === undefined || text === null) return null;
    const shown = Array.from(String(text).trim())
      .filter((c) => !hidden(c))
      .slice(0, max)
      .join("");
    return shown || null;
  }

  // The UTM parameters of a landing URL's query, or null when it has none.
  function utmOf(search) {
    const query = new URLSearchParams(search);
    const utm = {};
    for (const key of UTM_KEYS) {
      const value = clean(query.get(`utm_${key}`), 200);
      if (value) utm[key] = value;
    }
    return Object.keys(utm).length ? utm : null;
  }

  function integer(text) {
    const number = Number(text);
    return Number.isInteger(number) ? number : null;
  }

  // The CTA an element's data-cta-* attributes describe, or null without an id.
  function ctaOf(data) {
    const id = clean(data.ctaId, 200);
    if (!id) return null;
    return {
      id,
      label: clean(data.ctaLabel, 500) || "",
      stage: integer(data.ctaStage),
      points: integer(data.ctaPoints),
      required_tier: clean(data.ctaRequiredTier, 100),
    };
  }

  // Exponential backoff from 1 s, doubling, at most a minute.
  function delayAfter(failures) {
    return Math.min(MAX_DELAY_MS, 1000 * 2 ** Math.max(0, failures - 1));
  }

  // Events waiting to be sent. `post(events)` resolves to an HTTP status, or 0 when the network
  // failed; a batch answered 503, 429 or 0 is sent again later as it was, with the same event
  // ids, so ingest and the journey count it once.
  function outbox(post, wait) {
    const queue = [];
    let batch = null;
    let sending = null;
    let failures = 0;

    async function send() {
      while (batch || queue.length) {
        batch ??= queue.splice(0, MAX_BATCH);
        const sent = batch;
        const status = await post(sent);
        if (status === 0 || status === 429 || status === 503) {
          failures += 1;
          await wait(delayAfter(failures));
          continue;
        }
        // Accepted, or refused for good (another 4xx): either way this batch is done with.
        failures = 0;
        if (batch === sent) batch = null;
      }
    }

    function flush() {
      sending ??= send().finally(() => {
        sending = null;
      });
      return sending;
    }

    // Everything unsent, in batches, for a beacon at page leave; nothing is left to retry.
    function drain() {
      const batches = batch ? [batch] : [];
      batch = null;
      while (queue.length) batches.push(queue.splice(0, MAX_BATCH));
      return batches;
    }

    return { queue, flush, drain };
  }

  const parts = { utmOf, ctaOf, delayAfter, outbox, clean };
  if (typeof document === "undefined") {
    globalThis.heroTrackerParts = parts; // node --test (tests/js), never on a website
    return;
  }

  const script = document.currentScript;
  if (!script) return;
  const endpoint = `${new URL(script.src).origin}/v1/events?key=${encodeURIComponent(script.dataset.key || "")}`;
  const cookieName = script.dataset.cookie || "hero_vid";
  const flushMs = Math.max(250, integer(script.dataset.flushMs) || 5000);
  let consented = script.dataset.consent !== "required";
  let visitor = null;
  const landingUtm = utmOf(location.search);

  function randomId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // crypto.randomUUID exists only on secure pages; a version 4 UUID from random bytes anywhere.
  function uuid() {
    const hex = randomId().split("");
    hex[12] = "4";
    hex[16] = "89ab"[Number.parseInt(hex[16], 16) & 3];
    const h = hex.join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function cookie() {
    const prefix = `${cookieName}=`;
    const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
    return found ? decodeURIComponent(found.slice(prefix.length)) : null;
  }

  function setCookie(value, maxAge) {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser
    document.cookie = `${cookieName}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAge}; SameSite=Lax${secure}`;
  }

  // Reads (no value), writes or removes (null) an entry of "localStorage" or "sessionStorage".
  function stored(kind, name, value) {
    try {
      const storage = window[kind]; // reading it throws where storage is disabled
      if (value === undefined) return storage.getItem(name);
      if (value === null) storage.removeItem(name);
      else storage.setItem(name, value);
    } catch {
      // Storage can be disabled; the cookie and memory still work.
    }
    return null;
  }

  // One id per browser, shared with the gate and upgrade widgets: cookie, else theirs, else new.
  function visitorId() {
    if (visitor) return visitor;
    visitor = cookie() || stored("localStorage", SHARED_ID) || `v-${randomId()}`;
    setCookie(visitor, 400 * 24 * 3600); // Chromium's longest cookie life
    stored("localStorage", SHARED_ID, visitor);
    return visitor;
  }

  // The landing's UTM, kept for the session (this tab) so later pages credit the campaign.
  function sessionUtm() {
    if (landingUtm) {
      stored("sessionStorage", UTM_STORE, JSON.stringify(landingUtm));
      return landingUtm;
    }
    try {
      return JSON.parse(stored("sessionStorage", UTM_STORE)) || {};
    } catch {
      return {};
    }
  }

  async function post(events) {
    try {
      const answer = await fetch(endpoint, {
        method: "POST",
        body: JSON.stringify({ events }),
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        credentials: "omit",
        keepalive: true,
      });
      return answer.status;
    } catch {
      return 0;
    }
  }

  const box = outbox(post, (ms) => new Promise((done) => setTimeout(done, ms)));

  function record(type, fields) {
    if (!consented) return; // no consent: nothing is kept, not even in memory
    const event = {
      event_id: uuid(),
      type,
      occurred_at: new Date().toISOString(),
      visitor_id: visitorId(),
      ...fields,
    };
    if (type !== "visitor.identified") {
      event.page ??= clean(location.href, 2000);
      event.utm ??= sessionUtm();
    }
    box.queue.push(event);
    if (box.queue.length >= MAX_BATCH) box.flush();
  }

  // At page leave, a beacon (sent even as the page goes away), else a keepalive fetch.
  function leave() {
    if (!consented) return;
    for (const events of box.drain()) {
      const body = new Blob([JSON.stringify({ events })], { type: "text/plain;charset=UTF-8" });
      if (!navigator.sendBeacon?.(endpoint, body)) post(events);
    }
  }

  function clicked(click) {
    const element = click.target instanceof Element && click.target.closest("[data-cta-id]");
    const cta = element && ctaOf(element.dataset);
    if (cta) record("cta.clicked", { cta });
  }

  // Capturing: a site's own handler stopping the click does not hide it.
  document.addEventListener("click", clicked, true);
  addEventListener("pagehide", leave);
  // Mobile browsers may skip pagehide when a tab is backgrounded and later discarded.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
  });
  setInterval(() => consented && box.flush(), flushMs);

  window.hero = Object.freeze({
    track: (type, fields = {}) => record(type, fields),
    identify: (email) => record("visitor.identified", { email: clean(email, 320) }),
    consent(given) {
      consented = given === true;
      if (consented) {
        visitorId();
        sessionUtm();
        return;
      }
      box.drain();
      visitor = null;
      setCookie("", 0);
      stored("localStorage", SHARED_ID, null);
      stored("sessionStorage", UTM_STORE, null);
    },
  });
})();
