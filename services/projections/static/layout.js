// What every signed-in page does: log out, and keep its durations current.
const { humanise } = globalThis.heroFormat;

document.getElementById("logout")?.addEventListener("click", async () => {
  await fetch("/v1/auth/logout", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: "{}",
  }).catch(() => null);
  window.location.assign("/login");
});

// <span data-since="ISO time" data-suffix=" in stage"> reads "3 h 10 min in stage";
// <span data-seconds="600"> reads "10 min". The server sends times, the browser words them.
function showDurations(root = document) {
  const now = Date.now();
  for (const element of root.querySelectorAll("[data-since]")) {
    const seconds = (now - Date.parse(element.dataset.since)) / 1000;
    element.textContent = humanise(seconds) + (element.dataset.suffix ?? "");
  }
  for (const element of root.querySelectorAll("[data-seconds]")) {
    element.textContent =
      humanise(Number(element.dataset.seconds)) + (element.dataset.suffix ?? "");
  }
}

globalThis.heroLayout = Object.freeze({ showDurations });
showDurations();
setInterval(showDurations, 60_000);
