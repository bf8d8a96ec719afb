// How a prospect's journey events read on the record page. Pure, so tests/js runs it.
globalThis.heroTimeline = Object.freeze({ describe, describeEntryPoint, withSalesRequests });

function stageOf(stage, names) {
  const name = names?.[stage - 1];
  return name ? `${stage} · ${name}` : `stage ${stage}`;
}

function signed(n) {
  return n >= 0 ? `+${n}` : String(n);
}

// One captured entry point in a line: "CTA “Book a demo” (demo-cta) on /pricing, UTM google / cpc / q4".
function describeEntryPoint(entry) {
  const what =
    entry.kind === "inquiry"
      ? `Inquiry form ${entry.form_id ?? ""}`.trim()
      : `CTA “${entry.cta_label || entry.cta_id || "?"}”${entry.cta_id ? ` (${entry.cta_id})` : ""}`;
  const utm = entry.utm ?? {};
  const campaign = [utm.source, utm.medium, utm.campaign].filter(Boolean).join(" / ");
  return [what, entry.page ? `on ${entry.page}` : "", campaign ? `UTM ${campaign}` : ""]
    .filter(Boolean)
    .join(", ");
}

// The journey's entries with the prospect's requests to talk to sales (the alerts service's
// sales alerts, from GET /v1/alerts) put in by time, oldest first like the journey's.
function withSalesRequests(entries, alerts) {
  const asked = (alerts ?? [])
    .filter((a) => a.kind === "sales")
    .map((a) => ({
      kind: "sales_contact.requested",
      occurred_at: a.raised_at,
      required_tier: a.required_tier,
      current_tier: a.current_tier,
      name: a.name,
      message: a.message,
    }));
  const at = (e) => Date.parse(e.occurred_at);
  return [...entries, ...asked].sort((a, b) => at(a) - at(b));
}

// A timeline entry (a journey event with its `kind`) as {title, detail}; null for an event
// another entry already tells (a manual move's own stage change).
function describe(entry, names) {
  switch (entry.kind) {
    case "prospect.created":
      return entry.imported
        ? {
            title: `Imported into ${stageOf(entry.stage, names)}`,
            detail: `${entry.points} points`,
          }
        : { title: `First seen, in ${stageOf(entry.stage, names)}`, detail: "" };
    case "entry_point.captured":
      return { title: "Entry point captured", detail: describeEntryPoint(entry.entry_point) };
    case "points.awarded": {
      const cta = entry.cta;
      const how =
        entry.multiplier > 1 ? `${cta.points} × ${entry.multiplier} (gap ${entry.gap})` : "";
      return {
        title: `Clicked “${cta.label || cta.id}” (${stageOf(cta.stage, names)} CTA)`,
        detail: [`${signed(entry.points)} points`, how, `${entry.total_points} in all`]
          .filter(Boolean)
          .join(", "),
      };
    }
    case "stage.changed":
      if (entry.cause === "manual") return null;
      return {
        title: `${stageOf(entry.old_stage, names)} → ${stageOf(entry.new_stage, names)}`,
        detail: `by ${entry.cause}`,
      };
    case "stage.skipped":
      return {
        title: `Skipped ahead to ${stageOf(entry.target_stage, names)}`,
        detail: `gap ${entry.gap} from ${stageOf(entry.current_stage, names)}`,
      };
    case "prospect.moved_manually":
      return {
        title: `Moved ${stageOf(entry.from_stage, names)} → ${stageOf(entry.to_stage, names)} by ${entry.consultant}`,
        detail: `“${entry.reason}”${entry.points_delta ? `, ${signed(entry.points_delta)} points` : ""}`,
      };
    case "prospect.rescored":
      return {
        title: `Rescored: ${stageOf(entry.from_stage, names)} → ${stageOf(entry.to_stage, names)}`,
        detail: `${signed(entry.points_delta)} points under ${entry.rules}`,
      };
    case "prospect.email_linked":
      return { title: `Email linked: ${entry.email}`, detail: "" };
    case "prospects.merged":
      return {
        title: `Merged with ${entry.merged_id} (${entry.email})`,
        detail: `${signed(entry.merged_points)} points, ${entry.merged_clicks} clicks brought`,
      };
    case "sales_contact.requested": {
      const has = entry.current_tier ? ` (has ${entry.current_tier})` : "";
      return {
        title: `Asked to talk to sales: wants ${entry.required_tier || "a higher tier"}${has}`,
        detail: [entry.name, entry.message ? `“${entry.message}”` : ""].filter(Boolean).join(": "),
      };
    }
    default:
      return { title: entry.kind ?? entry.type ?? "event", detail: "" };
  }
}
