// The gated-playbook widget for websites: <div data-hero-gate="playbook-id"> becomes the copy, the
// quote and an email form. Load it with
// <script src="https://crm.example/v1/widget/gate.js" data-key="PRODUCER_KEY" defer></script>.
// No framework, no CDN; text reaches the page only through textContent (strict CSPs welcome).
(() => {
  const script = document.currentScript;
  if (!script) return;
  const api = new URL(script.src).origin;
  const key = script.dataset.key || "";
  const WAIT_MS = 10500;
  const GENERIC = {
    header: "Get the playbook",
    paragraphs: ["Leave your email and the playbook is yours."],
  };

  // crypto.randomUUID exists only on https pages; getRandomValues on any.
  function randomId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function visitorId() {
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

  function fallbackOf(box) {
    const header = box.dataset.fallbackHeader;
    const text = box.dataset.fallbackText;
    return header && text
      ? { header, paragraphs: [text], quote: null, variation_id: "fallback", fallback: true }
      : { ...GENERIC, quote: null, variation_id: "fallback", fallback: true };
  }

  async function copyFor(playbook, visitor) {
    const url = `${api}/v1/playbooks/${encodeURIComponent(playbook)}/gate?visitor_id=${encodeURIComponent(visitor)}`;
    const answer = await fetch(url, {
      headers: { Authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(WAIT_MS),
    });
    if (!answer.ok) throw new Error(`gate answered ${answer.status}`);
    return answer.json();
  }

  function field(form, label, type, name, required) {
    const row = element("label", "hero-gate-field", label);
    const input = document.createElement("input");
    input.type = type;
    input.name = name;
    input.required = required;
    row.append(input);
    form.append(row);
    return input;
  }

  function render(box, playbook, visitor, copy) {
    box.replaceChildren();
    box.append(element("h2", "hero-gate-header", copy.header));
    for (const text of copy.paragraphs) box.append(element("p", "hero-gate-paragraph", text));
    if (copy.quote) {
      const quote = element("blockquote", "hero-gate-quote");
      quote.append(element("p", "hero-gate-quote-text", copy.quote.text));
      quote.append(element("cite", "hero-gate-quote-author", copy.quote.author));
      box.append(quote);
    }
    const form = element("form", "hero-gate-form");
    const email = field(form, "Email", "email", "email", true);
    const name = field(form, "Name", "text", "name", false);
    form.append(element("button", "hero-gate-submit", "Get the playbook"));
    const status = element("p", "hero-gate-status");
    box.append(form, status);
    // One Idempotency-Key per body sent: a retry of the same form is recorded once; a corrected
    // email is a new submission.
    let sent = "";
    let attempt = "";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "Sending…";
      const body = {
        email: email.value,
        visitor_id: visitor,
        variation_id: copy.variation_id,
        page: location.href,
      };
      if (name.value.trim()) body.name = name.value.trim();
      if (JSON.stringify(body) !== sent) {
        sent = JSON.stringify(body);
        attempt = randomId();
      }
      try {
        const answer = await fetch(
          `${api}/v1/playbooks/${encodeURIComponent(playbook)}/gate/submit`,
          {
            method: "POST",
            headers: {
              Authorization: `Bearer ${key}`,
              "Content-Type": "application/json",
              "Idempotency-Key": attempt,
            },
            body: JSON.stringify(body),
          },
        );
        if (!answer.ok) throw new Error(`submit answered ${answer.status}`);
        form.remove();
        status.textContent = "Thank you!";
        const href = box.dataset.href;
        if (href) {
          const link = element("a", "hero-gate-link", "Open the playbook");
          link.href = href;
          box.append(link);
        }
      } catch {
        status.textContent = "That did not go through; please check your email and try again.";
      }
    });
  }

  async function open(box) {
    const playbook = box.dataset.heroGate;
    const visitor = visitorId();
    let copy;
    try {
      copy = await copyFor(playbook, visitor);
    } catch {
      copy = fallbackOf(box);
    }
    render(box, playbook, visitor, copy);
  }

  for (const box of document.querySelectorAll("[data-hero-gate]")) open(box);
})();
