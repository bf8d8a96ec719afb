"""What the browser runs and how the page looks: constants allowed by hash in the page's
Content-Security-Policy."""

from services.projections.pages.legacy import DETAIL_SCRIPT, LOGOUT_SCRIPT

PLANNING_STYLE = """
.planning-main{padding:10px 16px 24px;max-width:1280px}
.planning-main h2{font-size:16px;margin:14px 0 8px}
.prospects{list-style:none;margin:0;padding:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:10px;align-items:start}
.prospect{background:#fff;border:1px solid #d3d9e2;border-left:5px solid #d9663a;
border-radius:4px;padding:8px 10px;font-size:12.5px;overflow-wrap:anywhere}
.prospect[data-stage="6"]{border-left-color:#8e5bbf}
.prospect h3{font-size:14px;margin:0}
.prospect .id{color:#6a7586;font-size:11.5px}
.prospect dl{margin:6px 0;display:grid;grid-template-columns:auto 1fr;gap:1px 8px}
.prospect dt{color:#6a7586}
.prospect dd{margin:0}
.tier{display:inline-block;padding:0 7px;border-radius:9px;background:#e6eaf0;font-weight:600}
table.periods{border-collapse:collapse;width:100%;margin:4px 0 6px}
table.periods th,table.periods td{padding:1px 4px;text-align:left;font-weight:normal}
table.periods th{color:#4a5668;white-space:nowrap;width:32%}
table.periods td.time{white-space:nowrap;width:22%;text-align:right}
table.periods caption{text-align:left;font-weight:600;font-size:12.5px;padding:2px 0}
table.periods meter{width:100%;height:10px}
table.periods .current th{color:#1c2430;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.notes h4{font-size:12.5px;margin:6px 0 3px}
.notes ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}
.notes li{background:#f6f8fb;border:1px solid #e1e6ed;border-radius:3px;padding:4px 6px}
.notes li .text{white-space:pre-wrap}
.notes li .meta{color:#6a7586;font-size:11.5px}
.notes .none{color:#6a7586}
form.note{margin-top:6px}
form.note textarea{display:block;width:100%;font:inherit;padding:5px;border:1px solid #b9c2cf;
border-radius:4px}
form.note .row{display:flex;align-items:center;gap:8px;margin-top:4px}
form.note button{font:inherit;padding:3px 12px;border-radius:4px;border:1px solid #1f5fbf;
background:#1f5fbf;color:#fff;cursor:pointer}
form.note button[disabled]{opacity:.6;cursor:progress}
form.note .status{color:#1d5a1d}
form.note .error{color:#8a1c12;font-weight:600}
.empty{color:#6a7586}
"""

PLANNING_SCRIPT = """
(() => {
const TRIES = 10;

function when(iso) {
  const at = new Date(iso);
  if (isNaN(at)) return String(iso);
  return at.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function show(list, notes) {
  list.replaceChildren();
  if (!notes.length) {
    const none = document.createElement("li");
    none.className = "none";
    none.textContent = "No roadmap notes yet.";
    list.appendChild(none);
    return;
  }
  for (const note of notes) {
    const item = document.createElement("li");
    item.dataset.noteId = note.note_id;
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = note.text;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = note.author + " · " + when(note.recorded_at);
    item.append(text, meta);
    list.appendChild(item);
  }
}

async function refresh(id, list, noteId) {
  for (let attempt = 0; attempt < TRIES; attempt += 1) {
    await new Promise((done) => setTimeout(done, 300 + 200 * attempt));
    try {
      const answer = await fetch("/v1/prospects/" + encodeURIComponent(id) + "/roadmap-notes",
        {credentials: "same-origin", headers: {accept: "application/json"}});
      if (!answer.ok) continue;
      const notes = (await answer.json()).notes || [];
      if (!notes.some((n) => n.note_id === noteId)) continue;
      show(list, notes);
      return true;
    } catch (error) {
      continue;
    }
  }
  return false;
}

document.querySelectorAll("form.note").forEach((form) => {
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
      answer = await fetch("/v1/prospects/" + encodeURIComponent(id) + "/roadmap-notes", {
        method: "POST",
        credentials: "same-origin",
        headers: {"content-type": "application/json", accept: "application/json"},
        body: JSON.stringify({text: note}),
      });
      body = await answer.json().catch(() => null);
    } catch (failure) {
      answer = null;
    }
    button.disabled = false;
    if (!answer || !answer.ok) {
      const why = answer ? detailOf(body, answer.status) : "the server cannot be reached";
      error.textContent = "Could not save the note: " + why;
      return;
    }
    text.value = "";
    status.textContent = "Saved; listing it…";
    const listed = await refresh(id, list, body.note_id);
    status.textContent = listed ? "Note added." : "";
    if (!listed) error.textContent = "The note was saved but is not listed yet; reload later.";
  });
});
})();
"""

SCRIPT = LOGOUT_SCRIPT + DETAIL_SCRIPT + PLANNING_SCRIPT
