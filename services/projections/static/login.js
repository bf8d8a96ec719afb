const form = document.getElementById("login");
const message = document.getElementById("message");
const { detailOf } = globalThis.heroFormat;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const body = JSON.stringify({ email: form.email.value, password: form.password.value });
  let answer;
  try {
    answer = await fetch("/v1/auth/login", {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
    });
  } catch {
    message.textContent = "The server cannot be reached; try again.";
    return;
  }
  if (answer.ok) {
    window.location.assign(form.dataset.next);
    return;
  }
  const answered = await answer.json().catch(() => null);
  message.textContent =
    typeof answered?.detail === "string"
      ? detailOf(answered, answer.status)
      : `Logging in failed (${answer.status}).`;
});
