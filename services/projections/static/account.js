// The account page: one's own password and sessions; for admins, every account.
const { detailOf } = globalThis.heroFormat;

async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    const answer = await fetch(path, init);
    const data = answer.status === 204 ? null : await answer.json().catch(() => null);
    return { ok: answer.ok, status: answer.status, data };
  } catch {
    return { ok: false, status: 0, data: { detail: "the server cannot be reached; try again" } };
  }
}

function say(name, text, failed = false) {
  const line = document.querySelector(`.message[data-for="${name}"]`);
  line.textContent = text;
  line.classList.toggle("failed", failed);
}

function failure(answer) {
  if (answer.status === 401) window.location.assign("/login?next=/account");
  return detailOf(answer.data, answer.status);
}

const password = document.getElementById("password");
password.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await call("POST", "/v1/auth/password", {
    current_password: password.current.value,
    new_password: password.new.value,
  });
  password.reset();
  if (answer.ok) say("password", "Password changed. Your other sessions have ended.");
  else say("password", failure(answer), true);
});

document.getElementById("everywhere").addEventListener("click", async () => {
  await call("POST", "/v1/auth/logout?everywhere=true", {});
  window.location.assign("/login");
});

const list = document.getElementById("accounts-list");

function button(label, action) {
  const made = document.createElement("button");
  made.type = "button";
  made.textContent = label;
  made.addEventListener("click", action);
  return made;
}

async function change(account, method, body, done) {
  const path = `/v1/auth/consultants/${encodeURIComponent(account.email)}`;
  const answer = await call(method, path, body);
  if (answer.ok) say("accounts", `${account.email}: ${done}.`);
  else say("accounts", failure(answer), true);
  await showAccounts();
}

function row(account) {
  const tr = document.createElement("tr");
  tr.dataset.email = account.email;
  tr.classList.toggle("disabled", account.disabled);
  const since = account.created_at ? account.created_at.slice(0, 10) : "";
  for (const text of [
    account.email,
    account.role,
    account.disabled ? "disabled" : "active",
    since,
  ]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  const actions = document.createElement("td");
  const other = account.role === "admin" ? "consultant" : "admin";
  actions.append(
    button(`Make ${other}`, () =>
      change(account, "PATCH", { role: other }, `now ${other}, sessions ended`),
    ),
    account.disabled
      ? button("Enable", () => change(account, "PATCH", { disabled: false }, "enabled"))
      : button("Disable", () =>
          change(account, "PATCH", { disabled: true }, "disabled, sessions ended"),
        ),
    button("Remove", () => {
      if (window.confirm(`Remove ${account.email} for good?`)) {
        change(account, "DELETE", undefined, "removed");
      }
    }),
  );
  tr.append(actions);
  return tr;
}

async function showAccounts() {
  const answer = await call("GET", "/v1/auth/consultants");
  if (!answer.ok) {
    say("accounts", failure(answer), true);
    return;
  }
  list.replaceChildren(...answer.data.map(row));
}

const add = document.getElementById("add");
add?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { email: add.email.value, password: add.password.value, role: add.role.value };
  const answer = await call("POST", "/v1/auth/consultants", body);
  if (answer.ok) {
    say("add", `Added ${answer.data.email} as ${answer.data.role}.`);
    add.reset();
    await showAccounts();
  } else {
    say("add", failure(answer), true);
  }
});

if (list) showAccounts();
