"""The gate widget on a website of another origin, under a strict Content-Security-Policy, in
Chromium: `crm-journey run` with its Anthropic client on the local stub serves the script, the
copy and the quote; the visitor submits the form, and the prospect and the playbook's figures
show it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from services.common.auth import SESSION_COOKIE
from tests.content.anthropic_stub import Stub, anthropic_stub
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.website import website
from tests.processes import crm, poll
from tests.sessions import embedded_accounts, signed_in

KEY = "pk-widget-site"
SECRET = "widget-secret"
HOST_PAGE = """<!doctype html>
<title>Acme playbooks</title>
<h1>Acme</h1>
<div data-hero-gate="{playbook}" data-href="https://acme.example/playbook.pdf"
     data-fallback-header="Our playbook, free" data-fallback-text="Leave your email."></div>
<script src="{base}/v1/widget/gate.js" data-key="{key}" defer></script>
"""


@dataclass
class Widget:
    base: str
    stub: Stub
    consultant: dict[str, str]
    host: str
    pages: dict[str, str]


@pytest.fixture(scope="module")
def widget(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Widget]:
    data_dir = tmp_path_factory.mktemp("widget")
    pages: dict[str, str] = {}

    with anthropic_stub() as stub:
        env = {
            "CRM_INGEST_API_KEYS": KEY,
            "CRM_SESSION_SECRET": SECRET,
            "ANTHROPIC_API_KEY": "sk-stub",
            "ANTHROPIC_BASE_URL": stub.base_url,
        }
        with (
            crm(["run", "--data-dir", str(data_dir)], data_dir / "crm.log", env) as base,
            website(lambda _path, _host: pages["html"], lambda: base) as host,
        ):
            token = signed_in(embedded_accounts(data_dir), SECRET, "sam@example.com")
            yield Widget(base, stub, {"Authorization": f"Bearer {token}"}, host, pages)


def open_host_page(page: Page, widget: Widget, playbook: str) -> None:
    widget.pages["html"] = HOST_PAGE.format(playbook=playbook, base=widget.base, key=KEY)
    page.goto(f"{widget.host}/playbooks.html")


def test_the_widget_shows_the_copy_and_quote_takes_the_form_and_reveals_the_playbook(
    page: Page, widget: Widget
) -> None:
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    metadata = {
        "title": "Selling without pushing",
        "tagline": "Conversations that close",
        "domain_tags": ["sales", "selling"],
        "tone": "warm",
    }
    put = httpx.put(
        f"{widget.base}/v1/playbooks/widget-selling", json=metadata, headers=widget.consultant
    )
    assert put.status_code == 200, put.text

    open_host_page(page, widget, "widget-selling")
    expect(page.locator(".hero-gate-header")).to_have_text("Stub header for claude-sonnet-4-5")
    quote = page.locator(".hero-gate-quote-text").text_content()
    author = page.locator(".hero-gate-quote-author").text_content()
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Name").fill("Rea Der")
    page.get_by_role("button", name="Get the playbook").click()
    link = page.get_by_role("link", name="Open the playbook")
    expect(link).to_have_attribute("href", "https://acme.example/playbook.pdf")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gate-widget.png"), full_page=True)
    visitor = page.evaluate("localStorage.getItem('hero-visitor-id')")

    prompt = widget.stub.requests[-1]["messages"][0]["content"]
    assert f'"quote": "{quote}"' in prompt and f'"author": "{author}"' in prompt
    prospect = poll(
        lambda: httpx.get(f"{widget.base}/v1/prospects/{visitor}", headers=widget.consultant),
        lambda r: r.status_code == 200,
    )
    assert prospect.json()["entry_point"]["form_id"] == "gate:widget-selling"
    figures = poll(
        lambda: httpx.get(
            f"{widget.base}/v1/analytics/playbooks", headers=widget.consultant
        ).json()["playbooks"],
        lambda ps: any(p["playbook_id"] == "widget-selling" for p in ps),
    )
    totals = next(p for p in figures if p["playbook_id"] == "widget-selling")["totals"]
    assert (totals["views"], totals["submissions"]) == (1, 1)
    assert violations == []

    # What a consultant sees: the prospect, entered through the gate's form, and the figures.
    token = widget.consultant["Authorization"].split()[1]
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": widget.base}])
    page.goto(f"{widget.base}/customerjourney?q={visitor}")
    card = page.locator(f'li.card[data-prospect-id="{visitor}"]')
    expect(card.locator("dd.entry")).to_have_text("Form gate:widget-selling")
    page.goto(f"{widget.base}/playbookanalytics")
    row = page.locator('tbody[data-playbook-id="widget-selling"] tr.total')
    expect(row.locator("td.views")).to_have_text("1")
    expect(row.locator("td.submissions")).to_have_text("1")
    page.screenshot(path=str(SCREENSHOTS / "gate-widget-playbookanalytics.png"), full_page=True)


def test_the_widget_shows_its_own_fallback_copy_when_the_gate_does_not_answer(
    page: Page, widget: Widget
) -> None:
    open_host_page(page, widget, "no-such-playbook")

    expect(page.locator(".hero-gate-header")).to_have_text("Our playbook, free")
    expect(page.locator(".hero-gate-paragraph")).to_have_text("Leave your email.")
    expect(page.locator(".hero-gate-quote")).to_have_count(0)
