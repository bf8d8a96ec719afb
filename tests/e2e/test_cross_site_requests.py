"""A page of another origin, open in the same Chromium as a logged-in consultant, tries to
acknowledge an alert: a self-submitting form, a plain-text fetch and a JSON fetch, all with
credentials. The session cookie goes along (127.0.0.1 on another port is the same site, so
SameSite=Lax lets it), and the product refuses every one: the alert stays pending."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import add_consultant
from tests.e2e.conftest import log_in as enter
from tests.product import Product

ATTACK = """<!doctype html>
<title>win a prize</title>
<iframe name="sink"></iframe>
<form id="forged" method="post" action="{target}" target="sink">
  <input type="hidden" name="note" value="forged">
</form>
<script>
  document.getElementById("forged").submit();
  const sent = [
    fetch("{target}", {{ method: "POST", mode: "no-cors", credentials: "include",
      headers: {{ "content-type": "text/plain" }}, body: "{{}}" }}),
    fetch("{target}", {{ method: "POST", credentials: "include",
      headers: {{ "content-type": "application/json" }}, body: "{{}}" }}),
  ];
  Promise.allSettled(sent).then(() => {{ document.title = "sent"; }});
</script>
"""


@pytest.fixture
def other_origin() -> Iterator[tuple[str, dict[str, str]]]:
    """A web server on another port of 127.0.0.1, answering every GET with `pages["html"]`."""
    pages: dict[str, str] = {}

    class Attacker(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def test_a_page_of_another_origin_cannot_acknowledge_an_alert_with_the_consultants_cookie(
    page: Page, product: Product, other_origin: tuple[str, dict[str, str]]
) -> None:
    enter(page, product.base, "/humansherpadashboard", add_consultant(product, "victim"))
    alert = product.pending_alert("v-forged")
    target = f"{product.base}/v1/alerts/{alert}/acknowledge"
    base, pages = other_origin
    pages["html"] = ATTACK.format(target=target)

    page.goto(f"{base}/prize.html")
    page.wait_for_function("document.title === 'sent'")
    sink = page.frame(name="sink")
    assert sink is not None
    sink.wait_for_load_state()
    refused = sink.content()

    # The form's answer shows the cookie arrived and was refused for what the request was.
    assert "must be a JSON request" in refused
    assert product.get(f"/v1/alerts/{alert}").json()["status"] == "pending"

    page.goto(f"{product.base}/humansherpadashboard")
    status = page.evaluate(
        """async (target) => (await fetch(target, { method: "POST", credentials: "same-origin",
             headers: { "content-type": "application/json" }, body: "{}" })).status""",
        target,
    )
    assert status == 200
    assert product.get(f"/v1/alerts/{alert}").json()["status"] == "acknowledged"


def test_the_log_out_button_ends_the_pages_session(page: Page, product: Product) -> None:
    enter(page, product.base, "/customerjourney", add_consultant(product, "leaving"))
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{product.base}/login")
    assert not [c for c in page.context.cookies() if c["name"] == "crm_session"]
    page.goto(f"{product.base}/customerjourney")
    page.wait_for_url(f"{product.base}/login?next=/customerjourney")
