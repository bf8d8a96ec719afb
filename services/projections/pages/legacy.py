# Transitional: the old string-built page kit, until every page is a template. Removed once unused.
"""HTML of the consultants' pages, rendered on the server. Every value goes through `html.escape`;
the only scripts are the constant ones below, allowed by hash in the Content-Security-Policy."""

from __future__ import annotations

import base64
import functools
import hashlib
from html import escape

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1c2430;background:#f3f5f8}
a{color:#1f5fbf}
header.top{display:flex;align-items:center;justify-content:space-between;padding:8px 16px;
background:#18263a;color:#fff}
header.top h1{font-size:18px;margin:0}
header.top .who{font-size:13px}
header.top button{margin-left:8px;font:inherit;padding:2px 10px;cursor:pointer}
main{padding:10px 16px 24px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-end;padding:10px 16px;
background:#fff;border-bottom:1px solid #d8dee6}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#4a5668;gap:2px}
form.filters input,form.filters select{font:inherit;padding:4px 6px;border:1px solid #b9c2cf;
border-radius:4px;min-width:150px}
form.filters button{font:inherit;padding:5px 16px;border-radius:4px;border:1px solid #1f5fbf;
background:#1f5fbf;color:#fff;cursor:pointer}
form.filters>a{margin-bottom:6px}
.errors{margin:10px 16px 0;padding:8px 12px;background:#fdecea;border:1px solid #e3a39c;
border-radius:4px;color:#8a1c12}
.summary{margin:0 0 8px;color:#4a5668;font-size:13px}
.board{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:10px;align-items:start}
.stage{background:#e6eaf0;border-radius:6px;padding:6px;min-width:0}
.stage h2{display:flex;justify-content:space-between;align-items:baseline;gap:4px;
margin:2px 4px 6px;font-size:13px}
.stage h2 a{color:#18263a;text-decoration:none}
.stage h2 .count{background:#18263a;color:#fff;border-radius:10px;padding:0 8px;font-size:12px}
.cards{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.single .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr))}
.board.single{grid-template-columns:1fr}
.card{background:#fff;border:1px solid #d3d9e2;border-left:4px solid #6b8fc7;border-radius:4px;
padding:6px 8px;font-size:12.5px;overflow-wrap:anywhere}
.card .name{font-weight:600;font-size:13px}
.card .line{color:#4a5668}
.card .time{color:#1c2430;font-weight:600}
.card dl{margin:3px 0 0;display:grid;grid-template-columns:auto 1fr;gap:0 6px}
.card dt{color:#6a7586}
.card dd{margin:0}
.stage-1 .card{border-left-color:#8aa4c8}.stage-2 .card{border-left-color:#5b9bd5}
.stage-3 .card{border-left-color:#48a999}.stage-4 .card{border-left-color:#e0a030}
.stage-5 .card{border-left-color:#d9663a}.stage-6 .card{border-left-color:#8e5bbf}
.empty{color:#6a7586;font-size:12px;margin:4px}
.more{display:block;margin:6px 4px 2px;font-size:12px}
nav.stages{display:flex;gap:6px;flex-wrap:wrap;margin:0 0 10px}
nav.stages a{padding:4px 10px;border-radius:14px;background:#e6eaf0;text-decoration:none;
color:#18263a;font-size:13px}
nav.stages a[aria-current]{background:#18263a;color:#fff}
.login{max-width:360px;margin:12vh auto;background:#fff;padding:24px;border-radius:8px;
border:1px solid #d8dee6}
.login h1{font-size:20px;margin:0 0 16px}
.login label{display:block;margin:0 0 12px;font-size:13px;color:#4a5668}
.login input{display:block;width:100%;font:inherit;padding:6px 8px;margin-top:3px;
border:1px solid #b9c2cf;border-radius:4px}
.login button{font:inherit;width:100%;padding:8px;border-radius:4px;border:1px solid #1f5fbf;
background:#1f5fbf;color:#fff;cursor:pointer}
.login .message{color:#8a1c12;min-height:1.4em;margin:10px 0 0}
"""

LOGIN_SCRIPT = """
const form = document.getElementById("login");
const message = document.getElementById("message");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  const body = JSON.stringify({email: form.email.value, password: form.password.value});
  let answer;
  try {
    answer = await fetch("/v1/auth/login", {method: "POST", body, credentials: "same-origin",
      headers: {"content-type": "application/json"}});
  } catch (error) {
    message.textContent = "The server cannot be reached; try again.";
    return;
  }
  if (answer.ok) {
    window.location.assign(form.dataset.next);
    return;
  }
  const detail = await answer.json().then((b) => b.detail).catch(() => null);
  message.textContent =
    typeof detail === "string" ? detail : "Logging in failed (" + answer.status + ").";
});
"""

LOGOUT_SCRIPT = """
document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/v1/auth/logout", {method: "POST", credentials: "same-origin"}).catch(() => null);
  window.location.assign("/login");
});
"""

# What a failed API call says, from FastAPI's `detail` (a text, or validation errors).
DETAIL_SCRIPT = """
function detailOf(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => (d && d.msg ? String(d.msg) : JSON.stringify(d))).join("; ");
  }
  return "the server answered " + status;
}
"""


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@functools.cache
def policy(scripts: tuple[str, ...], styles: tuple[str, ...]) -> str:
    """A page's Content-Security-Policy: only these exact scripts and style blocks (by hash),
    fetches to its own origin, nothing else."""
    return (
        f"default-src 'none'; script-src {' '.join(_sha256(s) for s in scripts)}; "
        f"style-src {' '.join(_sha256(s) for s in styles)}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def content_security_policy() -> str:
    return policy((LOGIN_SCRIPT, LOGOUT_SCRIPT), (STYLE,))


def page_headers(csp: str) -> dict[str, str]:
    """What every page is served with: its own script and style allowance, and never cached."""
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def document(title: str, body: str, script: str | None = None) -> str:
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} · Hero Journey CRM</title><link rel="icon" href="data:,">'
        f"<style>{STYLE}</style></head><body>{body}{tail}</body></html>"
    )


def login_page(next_path: str) -> str:
    body = f"""<main class="login"><h1>Hero Journey CRM</h1>
<form id="login" method="post" action="/login" data-next="{escape(next_path)}">
<label>Email<input type="email" name="email" autocomplete="username" required autofocus></label>
<label>Password<input type="password" name="password" autocomplete="current-password"
 required></label>
<button type="submit">Log in</button>
<p id="message" class="message" role="alert"></p>
<noscript><p class="message">Logging in needs JavaScript.</p></noscript>
</form></main>"""
    return document("Log in", body, LOGIN_SCRIPT)


def humanise(seconds: float) -> str:
    """A duration as a consultant reads it: "3 h 10 min", "2 d 4 h"."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
