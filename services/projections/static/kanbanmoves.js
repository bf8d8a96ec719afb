// What the kanban decides and says about a move, apart from the page. Pure, so tests/js runs it
// under node --test; journeykanban.js wires it to the cards.
globalThis.heroKanban = Object.freeze({
  stageFromKey,
  moveAllowed,
  stageLabel,
  activityLine,
  movePrompt,
  movedNotice,
  refusedNotice,
  moveArrived,
  boardQuery,
  stageUrl,
  retryDelay,
});

// The stage a key press on a card asks for: "1" to "6" without modifiers, else null.
function stageFromKey(key, { altKey = false, ctrlKey = false, metaKey = false } = {}) {
  if (altKey || ctrlKey || metaKey || !/^[1-6]$/.test(key)) return null;
  return Number(key);
}

// A card may go to any other stage, but not while its last move is still being recorded or
// while the reason for another move is being asked.
function moveAllowed({ from, to, pending = false, asking = false }) {
  if (pending || asking) return false;
  return Number.isInteger(to) && to >= 1 && to <= 6 && to !== from;
}

// names: the six stage names, stage 1's first.
function stageLabel(stage, names) {
  return `${stage} · ${names[stage - 1]}`;
}

function activityLine(points, clicks) {
  return `${points} pts · ${clicks} click${clicks === 1 ? "" : "s"}`;
}

function movePrompt(name, from, to, names) {
  return `Move ${name} from stage ${stageLabel(from, names)} to stage ${stageLabel(to, names)}.`;
}

function movedNotice(name, to, names) {
  return `Moved ${name} to stage ${stageLabel(to, names)}.`;
}

function refusedNotice(name, to, names, why) {
  return `Could not move ${name} to stage ${stageLabel(to, names)}: ${why}`;
}

// The board row that shows the move has reached the read model, or undefined while it has not.
function moveArrived(rows, id, stage) {
  return (rows ?? []).find((row) => row.prospect_id === id && row.stage === stage);
}

function boardQuery(id) {
  return `/v1/board?limit=50&q=${encodeURIComponent(id)}`;
}

function stageUrl(id) {
  return `/v1/prospects/${encodeURIComponent(id)}/stage`;
}

// Milliseconds to wait before re-reading the board the attempt-th time (0 first).
function retryDelay(attempt) {
  return 400 + 300 * attempt;
}
