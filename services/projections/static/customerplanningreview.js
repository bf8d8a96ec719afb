// Each prospect's roadmap-note form: posts the note, then re-reads the prospect's notes until
// the projection lists it.
const { detailOf } = globalThis.heroFormat;
const notes = globalThis.heroNotes;
const TRIES = 10;

function show(list, listed) {
  list.replaceChildren();
  if (!listed.length) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = "No roadmap notes yet.";
    list.append(none);
    return;
  }
  for (const note of listed) {
    const item = document.createElement("li");
    item.dataset.noteId = note.note_id;
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = note.text;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${note.author} · ${notes.recordedAt(note.recorded_at)}`;
    item.append(text, meta);
    list.append(item);
  }
}

async function refresh(id, list, noteId) {
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    await new Promise((done) => setTimeout(done, notes.retryDelay(attempt)));
    try {
      const answer = await fetch(notes.notesUrl(id), {
        credentials: "same-origin",
        headers: { accept: "application/json" },
      });
      if (!answer.ok) continue;
      const listed = (await answer.json()).notes ?? [];
      if (!notes.isListed(listed, noteId)) continue;
      show(list, listed);
      return true;
    } catch {
      // the server cannot be reached just now; read again
    }
  }
  return false;
}

for (const form of document.querySelectorAll("form.note")) {
  const id = form.dataset.prospectId;
  const list = document.getElementById(form.dataset.notes);
  const text = form.querySelector("textarea");
  const button = form.querySelector("button");
  const status = form.querySelector(".status");
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    error.textContent = "";
    const note = text.value.trim();
    if (!note) {
      error.textContent = "Write the note first.";
      text.focus();
      return;
    }
    button.disabled = true;
    let answer = null;
    let body = null;
    try {
      answer = await fetch(notes.notesUrl(id), {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ text: note }),
      });
      body = await answer.json().catch(() => null);
    } catch {
      answer = null;
    }
    button.disabled = false;
    if (!answer?.ok) {
      const why = answer ? detailOf(body, answer.status) : "the server cannot be reached";
      error.textContent = `Could not save the note: ${why}`;
      return;
    }
    text.value = "";
    status.textContent = "Saved; listing it…";
    const listed = await refresh(id, list, body?.note_id);
    status.textContent = listed ? "Note added." : "";
    if (!listed) error.textContent = "The note was saved but is not listed yet; reload later.";
  });
}
