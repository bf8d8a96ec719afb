// The prospect record's timeline and entry-point history, from the journey's API.
const { describe, describeEntryPoint, withSalesRequests } = globalThis.heroTimeline;
const { detailOf } = globalThis.heroFormat;
const { showDurations } = globalThis.heroLayout;

const record = document.querySelector("main.record");
const id = encodeURIComponent(record.dataset.prospectId);
const names = JSON.parse(record.dataset.stageNames);

async function fetched(path) {
  const answer = await fetch(path, { credentials: "same-origin" });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) throw new Error(detailOf(body, answer.status));
  return body;
}

function item(title, detail, when) {
  const li = document.createElement("li");
  if (when) {
    const time = document.createElement("time");
    time.dateTime = when;
    time.title = when;
    time.dataset.since = when;
    time.dataset.suffix = " ago";
    li.append(time);
  }
  const strong = document.createElement("strong");
  strong.textContent = title;
  li.append(strong);
  if (detail) {
    const span = document.createElement("span");
    span.className = "detail";
    span.textContent = detail;
    li.append(span);
  }
  return li;
}

async function showTimeline() {
  const status = document.getElementById("timeline-status");
  const list = document.getElementById("timeline");
  try {
    const [timeline, alerts] = await Promise.all([
      fetched(`/v1/prospects/${id}/timeline`),
      // Sales requests are the alerts service's: without them the journey's timeline still shows.
      fetched(`/v1/alerts?prospect_id=${id}&limit=200`).catch(() => ({ alerts: [] })),
    ]);
    const items = [];
    for (const entry of withSalesRequests(timeline.entries, alerts.alerts).reverse()) {
      const told = describe(entry, names);
      if (told) items.push(item(told.title, told.detail, entry.occurred_at));
    }
    list.replaceChildren(...items);
    status.textContent = `${items.length} events, newest first`;
  } catch (error) {
    status.textContent = `The timeline could not be loaded: ${error.message}`;
    status.classList.add("failed");
  }
  showDurations(list);
}

async function showEntryHistory() {
  const list = document.getElementById("entry-history");
  try {
    const prospect = await fetched(`/v1/prospects/${id}`);
    const history = prospect.entry_point_history;
    list.replaceChildren(
      ...(history.length
        ? history.map((e) => item(describeEntryPoint(e), "", e.captured_at))
        : [item("None captured", "", null)]),
    );
  } catch (error) {
    list.replaceChildren(item(`Could not be loaded: ${error.message}`, "", null));
  }
  showDurations(list);
}

showTimeline();
showEntryHistory();
