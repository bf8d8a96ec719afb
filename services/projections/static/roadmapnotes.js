// What the planning review says about roadmap notes, apart from the page. Pure, so tests/js
// runs it under node --test; customerplanningreview.js wires it to the forms.
globalThis.heroNotes = Object.freeze({ recordedAt, notesUrl, isListed, retryDelay });

// A note's time as the server renders it: "2026-03-01 09:05 UTC".
function recordedAt(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// One address for reading and adding a prospect's notes.
function notesUrl(id) {
  return `/v1/prospects/${encodeURIComponent(id)}/roadmap-notes`;
}

function isListed(notes, noteId) {
  return (notes ?? []).some((note) => note.note_id === noteId);
}

// Milliseconds to wait before re-reading the notes the attempt-th time (0 first).
function retryDelay(attempt) {
  return 300 + 200 * attempt;
}
