"""A website on an origin of its own, for the browser tests of what the product serves to
websites (the gate and upgrade widgets, the tracker) or what a website sends it (Segment's
analytics.js): each page is served under a strict Content Security Policy that lets scripts and
connections reach the product only (and the site's own script files, when it has some)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from services.common.auth import SESSION_COOKIE
from tests.processes import poll


def strict_csp(product: str, *, own_scripts: bool = False) -> str:
    scripts = f"'self' {product}" if own_scripts else product
    return (
        f"default-src 'none'; script-src {scripts}; connect-src {product}; "
        "style-src 'none'; form-action 'none'"
    )


@contextmanager
def website(
    html_for: Callable[[str, str], str],
    product: Callable[[], str],
    scripts: Mapping[str, Path] | None = None,
) -> Iterator[str]:
    """Serve `html_for(path, host)` for every GET on 127.0.0.1 at a free port, under
    `strict_csp(product())`, and each of `scripts` (path -> file, read when asked for) as
    JavaScript; yields the site's origin (`http://127.0.0.1:<port>`)."""
    own = dict(scripts or {})

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script = own.get(self.path)
            if script is not None:
                self._answer(script.read_bytes(), "text/javascript; charset=utf-8")
                return
            body = html_for(self.path, f"http://{self.headers['Host']}").encode()
            self._answer(body, "text/html; charset=utf-8")

        def _answer(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            policy = strict_csp(product(), own_scripts=bool(own))
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def journey_card(
    page: Page, product: str, consultant: Mapping[str, str], visitor: str, clicks: int
) -> Locator:
    """The visitor's card on /customerjourney, opened as the consultant once the board's
    projection counts `clicks`, checked for the entry point and campaign the site's tests land
    with (the first click on "Read the guide", UTM newsletter / spring-launch)."""
    poll(
        lambda: httpx.get(f"{product}/v1/board?q={visitor}", headers=consultant).json(),
        lambda board: [r["clicks"] for r in board["rows"]] == [clicks],
    )
    token = consultant["Authorization"].split()[1]
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": product}])
    page.goto(f"{product}/customerjourney?q={visitor}")
    card = page.locator(f'li.card[data-prospect-id="{visitor}"]')
    expect(card.locator("dd.entry")).to_have_text("Read the guide")
    expect(card.locator("dd.utm")).to_have_text("newsletter / spring-launch")
    return card
