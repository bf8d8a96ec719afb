// Formatting shared by every page's scripts. Pure, so tests/js runs it under node --test.
globalThis.heroFormat = Object.freeze({ humanise, detailOf });

// A duration as a consultant reads it: "3 h 10 min", "2 d 4 h".
function humanise(seconds) {
  let minutes = Math.floor(Math.max(0, seconds) / 60);
  if (!(minutes >= 1)) return "under 1 min";
  if (minutes < 60) return `${minutes} min`;
  let hours = Math.floor(minutes / 60);
  minutes %= 60;
  if (hours < 24) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  hours %= 24;
  return hours ? `${days} d ${hours} h` : `${days} d`;
}

// What a failed API call says, from FastAPI's `detail` (a text, or validation errors).
function detailOf(body, status) {
  const detail = body?.detail;
  if (typeof detail === "string" && Array.isArray(body.errors) && body.errors.length) {
    const named = body.errors.map((e) => `${e?.field ?? "?"}: ${e?.message ?? "invalid"}`);
    return `${detail}: ${named.join("; ")}`;
  }
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d?.msg ? String(d.msg) : JSON.stringify(d))).join("; ");
  }
  return `the server answered ${status}`;
}
