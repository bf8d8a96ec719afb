// A website's own analytics.js set-up, bundled by tests/e2e/test_segment_browser.py with esbuild
// from node_modules into one file (no code splitting: no chunk is fetched from Segment's CDN).
// The settings are given inline, so nothing asks cdn.segment.com for them either.
import { AnalyticsBrowser } from "@segment/analytics-next";

const { writeKey, apiHost } = document.currentScript.dataset;

window.analytics = AnalyticsBrowser.load({
  writeKey,
  cdnSettings: {
    integrations: {
      "Segment.io": { apiKey: writeKey, apiHost, protocol: "http" },
    },
    // Segment's own delivery metrics would go to api.segment.io/v1/m.
    metrics: { sampleRate: 0 },
  },
});
