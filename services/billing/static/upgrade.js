// The upgrade modal for websites: a click on <a data-hero-cta="cta-id" href="..."> (or
// <a data-hero-playbook="playbook-id" href="...">) asks the CRM whether the visitor's tier opens
// that CTA (playbook); if not, a dialog compares the two tiers and offers Stripe Checkout or Talk
// to Sales. Load it with
// <script src="https://crm.example/v1/widget/upgrade.js" data-key="PRODUCER_KEY" defer></script>
// (optional: data-visitor-id, else the id gate.js keeps; data-api, else the script's origin).
// No framework, no CDN; text reaches the page only through textContent, styles only through the
// CSSOM (strict CSPs welcome).
(() => {
  const script = document.currentScript;
  if (!script) return;
  const api = script.dataset.api || new URL(script.src).origin;
  const key = script.dataset.key || "";
  const INTENT = "hero-upgrade-intent";
  const MARKER = "hero_upgrade";
  const WAIT_MS = 10000;
  const POLL_MS = 1000;
  const POLLS = 20;
  const INTENT_TTL_MS = 3600 * 1000;

  // crypto.randomUUID exists only on https pages; getRandomValues on any.
  function randomId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The same visitor id as gate.js, so the CRM sees one prospect.
  function visitorId() {
    if (script.dataset.visitorId) return script.dataset.visitorId;
    const name = "hero-visitor-id";
    try {
      let id = localStorage.getItem(name);
      if (!id) {
        id = `v-${randomId()}`;
        localStorage.setItem(name, id);
      }
      return id;
    } catch {
      return `v-${randomId()}`;
    }
  }

  function element(tag, className, text) {
    const made = document.createElement(tag);
    made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  async function call(path, body, extraHeaders) {
    const headers = { Authorization: `Bearer ${key}`, ...extraHeaders };
    const init = { headers, signal: AbortSignal.timeout(WAIT_MS) };
    if (body !== undefined) {
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const answer = await fetch(`${api}${path}`, init);
    return { status: answer.status, ok: answer.ok, json: answer.ok ? await answer.json() : null };
  }

  // What a link opens: { cta_id } or { playbook_id }, as the CRM's API names them.
  function targetOf(link) {
    if (link.dataset.heroCta) return { cta_id: link.dataset.heroCta };
    return { playbook_id: link.dataset.heroPlaybook };
  }

  function access(target) {
    const query = new URLSearchParams({ prospect_id: visitorId(), ...target });
    return call(`/v1/access?${query}`);
  }

  function pageWith(marker) {
    const url = new URL(location.href);
    url.searchParams.set(MARKER, marker);
    return url.href;
  }

  function tierColumn(tier, caption) {
    const column = element("section", "hero-upgrade-tier");
    column.style.flex = "1";
    column.style.padding = "0 1em";
    column.append(element("h3", "hero-upgrade-tier-name", tier.name));
    column.append(element("p", "hero-upgrade-tier-caption", caption));
    const list = element("ul", "hero-upgrade-features");
    for (const feature of tier.features)
      list.append(element("li", "hero-upgrade-feature", feature));
    column.append(list);
    return column;
  }

  function field(form, label, control, name, value) {
    const row = element("label", "hero-upgrade-field", label);
    row.style.display = "block";
    const input = document.createElement(control === "textarea" ? "textarea" : "input");
    if (control !== "textarea") input.type = control;
    input.name = name;
    input.value = value;
    input.style.display = "block";
    input.style.width = "100%";
    row.append(input);
    form.append(row);
    return input;
  }

  async function upgrade(link, target, status) {
    status.textContent = "Opening the checkout…";
    const body = {
      prospect_id: visitorId(),
      ...target,
      success_url: pageWith("success"),
      cancel_url: pageWith("cancelled"),
    };
    try {
      const answer = await call("/v1/checkout", body);
      if (answer.status === 409) return location.assign(link.href);
      if (!answer.ok) throw new Error(`checkout answered ${answer.status}`);
      const intent = { intent_id: answer.json.intent_id, target, href: link.href };
      sessionStorage.setItem(INTENT, JSON.stringify({ ...intent, at: Date.now() }));
      location.assign(answer.json.url);
    } catch {
      status.textContent = "The checkout could not be opened; please try again.";
    }
  }

  function salesForm(dialog, target, modal, status) {
    const form = element("form", "hero-upgrade-sales");
    const requested = modal.required_tier.name;
    const text = `I am on ${modal.current_tier.name} and would like to talk about upgrading to ${requested}.`;
    const email = field(form, "Email", "email", "email", "");
    email.required = true;
    const name = field(form, "Name", "text", "name", "");
    const message = field(form, "Message", "textarea", "message", text);
    form.append(element("button", "hero-upgrade-send", "Send to Sales"));
    // One Idempotency-Key per body sent: a retry is recorded once, a corrected form anew.
    let sent = "";
    let attempt = "";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "Sending…";
      const body = { prospect_id: visitorId(), email: email.value };
      if (target.cta_id) body.cta_id = target.cta_id;
      if (name.value.trim()) body.name = name.value.trim();
      if (message.value.trim()) body.message = message.value.trim();
      if (JSON.stringify(body) !== sent) {
        sent = JSON.stringify(body);
        attempt = randomId();
      }
      try {
        const answer = await call("/v1/sales-contact", body, { "Idempotency-Key": attempt });
        if (!answer.ok) throw new Error(`sales contact answered ${answer.status}`);
        const done = answer.json;
        form.remove();
        status.textContent = `Thank you! Sales will write to ${done.form.email} about ${done.form.requested_tier || "your plan"}.`;
        dialog.dataset.requestId = done.request_id;
        dialog.querySelector(".hero-upgrade-close")?.focus();
      } catch {
        status.textContent = "That did not go through; please check your email and try again.";
      }
    });
    return { form, email };
  }

  function openModal(link, target, modal) {
    const dialog = element("dialog", "hero-upgrade");
    const title = `hero-upgrade-title-${randomId()}`;
    dialog.setAttribute("aria-labelledby", title);
    dialog.style.maxWidth = "44em";
    const heading = element("h2", "hero-upgrade-title", `This needs ${modal.required_tier.name}`);
    heading.id = title;
    const tiers = element("div", "hero-upgrade-tiers");
    tiers.style.display = "flex";
    tiers.append(
      tierColumn(modal.current_tier, "Your tier"),
      tierColumn(modal.required_tier, "Unlocks this"),
    );
    const actions = element("div", "hero-upgrade-actions");
    const status = element("p", "hero-upgrade-status");
    status.setAttribute("role", "status");
    for (const action of modal.actions) {
      const button = element("button", `hero-upgrade-${action.kind}`, action.label);
      button.type = "button";
      button.addEventListener("click", () => {
        if (action.kind === "upgrade") return upgrade(link, target, status);
        const sales = salesForm(dialog, target, modal, status);
        actions.replaceWith(sales.form);
        sales.email.focus();
      });
      actions.append(button);
    }
    actions.style.display = "flex";
    actions.style.gap = "0.5em";
    const close = element("button", "hero-upgrade-close", "Close");
    close.type = "button";
    close.addEventListener("click", () => dialog.close());
    dialog.append(heading, tiers, actions, status, close);
    // Escape closes a modal <dialog> by itself; focus goes back to the link.
    dialog.addEventListener("close", () => {
      dialog.remove();
      link.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  document.addEventListener("click", async (event) => {
    const link =
      event.target instanceof Element &&
      event.target.closest("a[data-hero-cta], a[data-hero-playbook]");
    if (!link || event.defaultPrevented) return;
    event.preventDefault();
    const target = targetOf(link);
    let answer;
    try {
      answer = await access(target);
    } catch {
      answer = null;
    }
    // The site's own server guards the content; without an answer the widget steps aside.
    if (!answer?.ok || answer.json.allowed) return location.assign(link.href);
    openModal(link, target, answer.json);
  });

  async function resume() {
    const marker = new URL(location.href).searchParams.get(MARKER);
    let intent = null;
    try {
      intent = JSON.parse(sessionStorage.getItem(INTENT) || "null");
    } catch {
      intent = null;
    }
    if (!marker || !intent) return;
    // Only a web address leaves this page, whatever sessionStorage was made to hold.
    if (!/^https?:/.test(new URL(intent.href, location.href).protocol)) return;
    if (marker !== "success" || Date.now() - intent.at > INTENT_TTL_MS) {
      sessionStorage.removeItem(INTENT);
      return;
    }
    const notice = element("p", "hero-upgrade-notice", "Confirming your upgrade…");
    notice.setAttribute("role", "status");
    document.body.prepend(notice);
    // Stripe's webhook may reach the CRM a moment after the visitor comes back.
    for (let poll = 0; poll < POLLS; poll++) {
      try {
        const answer = await access(intent.target || { cta_id: intent.cta_id });
        if (answer.ok && answer.json.allowed) {
          sessionStorage.removeItem(INTENT);
          notice.textContent = "Upgrade confirmed. Opening…";
          return location.assign(intent.href);
        }
      } catch {
        // Polled again below.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    notice.textContent = "Your payment is still being confirmed; please reload in a minute.";
  }

  resume();
})();
