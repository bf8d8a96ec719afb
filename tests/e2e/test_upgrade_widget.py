"""The upgrade modal on a website of another origin, under a strict Content-Security-Policy, in
Chromium: `crm-journey run` (Stripe client on stripe-mock) serves the script, the access check,
Checkout and Talk to Sales. Stripe's hosted page is stood in for by the browser's router (no
internet); its signed webhook is sent the way Stripe signs it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.billing.service import GATED, SITE_KEY
from tests.e2e.conftest import SCREENSHOTS, add_account, log_in
from tests.e2e.website import website
from tests.processes import crm
from tests.stripe_signing import WEBHOOK_SECRET, completed, signature

HOST_PAGE = """<!doctype html>
<title>Acme playbooks</title>
<h1>Acme</h1>
<p><a data-hero-cta="{cta}" href="{host}/restricted">Accelerator playbooks</a></p>
<p><a data-hero-playbook="scaling-playbook" href="{host}/restricted-playbook">
Scaling playbook</a></p>
<script src="{base}/v1/widget/upgrade.js" data-key="{key}" defer></script>
"""
RESTRICTED = "<!doctype html><title>Restricted</title><h1>The Accelerator playbooks</h1>"
PLAYBOOK = "<!doctype html><title>Playbook</title><h1>The scaling playbook</h1>"
# The product's default ladder, and a gated playbook.
TIERS = """\
tiers:
  - name: Explorer
    features: [Free playbooks, Community events]
  - name: Accelerator
    price: price_accelerator
    features: [Free playbooks, Community events, All gated playbooks, Monthly group coaching]
ctas:
  unlock-accelerator-playbooks: Accelerator
playbooks:
  scaling-playbook: Accelerator
"""


@dataclass
class Site:
    base: str
    host: str
    data: Path

    def journal(self, kind: str, visitor: str) -> list[tuple[str, dict[str, Any]]]:
        with sqlite3.connect(self.data / "billing.db") as db:
            rows = db.execute(
                "SELECT event_id, payload FROM billing_journal"
                " WHERE type = ? AND subject_id = ? ORDER BY seq",
                (kind, visitor),
            )
            return [(r[0], json.loads(r[1])) for r in rows]

    def complete_checkout(self, visitor: str) -> None:
        """What Stripe does once the visitor has paid: the signed webhook."""
        [(intent, _)] = self.journal("upgrade_intent.recorded.v1", visitor)
        [(_, started)] = self.journal("checkout.started.v1", visitor)
        payload = completed(intent, started["checkout_session_id"])
        delivered = httpx.post(
            f"{self.base}/v1/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": signature(payload)},
        )
        assert delivered.json()["outcome"] == "upgraded", delivered.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, stripe_api_base: str) -> Iterator[Site]:
    stripe = stripe_api_base
    data = tmp_path_factory.mktemp("upgrade")
    (data / "tiers.yaml").write_text(TIERS)
    env = {
        "CRM_BILLING_TIERS_FILE": str(data / "tiers.yaml"),
        "CRM_INGEST_API_KEYS": SITE_KEY,
        "STRIPE_API_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe,
    }

    def html_for(path: str, host: str) -> str:
        if path.startswith("/restricted-playbook"):
            return PLAYBOOK
        if path.startswith("/restricted"):
            return RESTRICTED
        return HOST_PAGE.format(cta=GATED, host=host, base=pages["base"], key=SITE_KEY)

    pages: dict[str, str] = {}
    with (
        crm(["run", "--data-dir", str(data)], data / "crm.log", env) as base,
        website(html_for, lambda: base) as host,
    ):
        pages["base"] = base
        yield Site(base, host, data)


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security" in m.text else None)
    return found


def visitor_of(page: Page) -> str:
    return str(page.evaluate("localStorage.getItem('hero-visitor-id')"))


def stand_in_for_stripe(page: Page) -> None:
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<h1>Checkout</h1>"),
    )


def open_modal(page: Page, site: Site) -> Any:
    page.goto(f"{site.host}/playbooks.html")
    page.get_by_role("link", name="Accelerator playbooks").click()
    dialog = page.get_by_role("dialog", name="This needs Accelerator")
    expect(dialog).to_be_visible()
    return dialog


def test_an_explorer_upgrades_through_checkout_and_the_restricted_content_opens(
    page: Page, site: Site
) -> None:
    violations = csp_violations(page)
    stand_in_for_stripe(page)
    dialog = open_modal(page, site)
    tiers = dialog.locator(".hero-upgrade-tier")
    expect(tiers.locator("h3")).to_have_text(["Explorer", "Accelerator"])
    expect(tiers.nth(0).locator("li")).to_have_text(["Free playbooks", "Community events"])
    expect(tiers.nth(1).locator("li")).to_contain_text(["All gated playbooks"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "upgrade-modal.png"))

    with page.expect_request("**/v1/checkout") as asked:
        dialog.get_by_role("button", name="Upgrade to Accelerator").click()
    page.wait_for_url("https://checkout.stripe.com/**")
    checkout: dict[str, str] = asked.value.post_data_json or {}
    success_url = checkout["success_url"]
    assert success_url == f"{site.host}/playbooks.html?hero_upgrade=success"

    site.complete_checkout(checkout["prospect_id"])
    page.goto(success_url)

    page.wait_for_url(f"{site.host}/restricted")
    expect(page.get_by_role("heading")).to_have_text("The Accelerator playbooks")
    assert page.evaluate("sessionStorage.getItem('hero-upgrade-intent')") is None
    assert violations == []


def test_back_from_checkout_before_the_webhook_the_page_waits_for_it_then_opens_the_content(
    page: Page, site: Site
) -> None:
    stand_in_for_stripe(page)
    dialog = open_modal(page, site)
    dialog.get_by_role("button", name="Upgrade to Accelerator").click()
    page.wait_for_url("https://checkout.stripe.com/**")
    page.goto(f"{site.host}/playbooks.html?hero_upgrade=success")
    expect(page.get_by_role("status")).to_have_text("Confirming your upgrade…")
    assert page.url.endswith("?hero_upgrade=success")

    site.complete_checkout(visitor_of(page))

    page.wait_for_url(f"{site.host}/restricted")


def test_a_gated_playbook_link_opens_the_modal_and_once_paid_the_playbook(
    page: Page, site: Site
) -> None:
    violations = csp_violations(page)
    stand_in_for_stripe(page)
    page.goto(f"{site.host}/playbooks.html")
    page.get_by_role("link", name="Scaling playbook").click()
    dialog = page.get_by_role("dialog", name="This needs Accelerator")
    expect(dialog).to_be_visible()
    with page.expect_request("**/v1/checkout") as asked:
        dialog.get_by_role("button", name="Upgrade to Accelerator").click()
    page.wait_for_url("https://checkout.stripe.com/**")
    checkout: dict[str, str] = asked.value.post_data_json or {}
    assert checkout["playbook_id"] == "scaling-playbook" and "cta_id" not in checkout

    site.complete_checkout(checkout["prospect_id"])
    page.goto(checkout["success_url"])
    page.wait_for_url(f"{site.host}/restricted-playbook")
    expect(page.get_by_role("heading")).to_have_text("The scaling playbook")
    assert violations == []


def test_talk_to_sales_opens_the_prefilled_form_and_records_the_request(
    page: Page, site: Site
) -> None:
    violations = csp_violations(page)
    dialog = open_modal(page, site)
    dialog.get_by_role("button", name="Talk to Sales").click()
    expect(dialog.get_by_label("Message")).to_have_value(
        "I am on Explorer and would like to talk about upgrading to Accelerator."
    )
    expect(dialog.get_by_label("Email")).to_be_focused()
    dialog.get_by_label("Email").fill("ivy@example.com")
    dialog.get_by_label("Name").fill("Ivy")
    page.screenshot(path=str(SCREENSHOTS / "upgrade-modal-sales-form.png"))
    dialog.get_by_role("button", name="Send to Sales").click()

    expect(dialog.get_by_role("status")).to_have_text(
        "Thank you! Sales will write to ivy@example.com about Accelerator."
    )
    page.screenshot(path=str(SCREENSHOTS / "upgrade-modal-sales-sent.png"))
    request_id = dialog.get_attribute("data-request-id")
    visitor = visitor_of(page)
    recorded = dict(site.journal("sales_contact.requested.v1", visitor))
    asked = recorded[str(request_id)]
    assert (asked["subject_id"], asked["email"], asked["name"]) == (
        visitor,
        "ivy@example.com",
        "Ivy",
    )
    assert (asked["current_tier"], asked["required_tier"], asked["cta_id"]) == (
        "Explorer",
        "Accelerator",
        GATED,
    )
    assert violations == []

    # A consultant sees the request on the dashboard, as its own kind of alert.
    consultant = add_account(("--data-dir", str(site.data)), "sales-desk")
    log_in(page, site.base, "/humansherpadashboard", consultant)
    card = page.locator('li.alert[data-kind="sales"]', has_text="ivy@example.com")
    expect(card).to_have_count(1, timeout=20_000)
    expect(card).to_contain_text("wants Accelerator (has Explorer)")
    card.screenshot(path=str(SCREENSHOTS / "upgrade-modal-sales-on-dashboard.png"))


def test_escape_closes_the_modal_and_gives_the_focus_back_to_the_link(
    page: Page, site: Site
) -> None:
    dialog = open_modal(page, site)
    expect(dialog.get_by_role("button", name="Upgrade to Accelerator")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("link", name="Accelerator playbooks")).to_be_focused()
    assert page.url == f"{site.host}/playbooks.html"
