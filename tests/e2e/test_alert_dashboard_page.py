"""The /humansherpadashboard page in Debian's Chromium, driven by Playwright, against the product
on Kafka and PostgreSQL: a consultant opens the dashboard, a website skip raises an alert that
appears live (no reload), and the consultant acknowledges it and marks it as actioned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS, add_consultant
from tests.e2e.conftest import log_in as enter
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
PATH = "/humansherpadashboard"
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def consultant(product: Product) -> str:
    return add_consultant(product, "sherpa")


def click(
    visitor: str, cta: str, label: str, stage: int, email: str | None = None
) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "email": email,
        "occurred_at": datetime.now(UTC).isoformat(),
        "cta": {"id": cta, "label": label, "stage": stage, "points": 10},
        "page": f"https://example.com/{cta}",
        "utm": {"source": "google", "medium": "cpc", "campaign": f"alerts-{RUN}"},
    }


def open_dashboard(page: Page, base: str, email: str) -> None:
    enter(page, base, PATH, email)
    expect(page.locator("#live")).to_have_text("Live", timeout=WAIT_MS)
    expect(page.locator("#summary")).not_to_have_text("Loading alerts…", timeout=WAIT_MS)


def test_a_skip_appears_live_and_the_consultant_acknowledges_and_actions_it(
    product: Product, consultant: str, page: Page
) -> None:
    open_dashboard(page, product.base, consultant)
    page.evaluate("window.notReloaded = true")

    visitor = f"v-skip-{RUN}"
    label = '<img src=x data-x="1">Buy the <b>Hero</b> Plan'
    company = [
        click(f"v-high-{RUN}", "book-demo", "Book a Demo", 4, f"high-{RUN}@example.com"),
        click(f"v-urgent-{RUN}", "buy-enterprise", "Buy Enterprise", 6, f"ceo-{RUN}@example.com"),
    ]
    assert product.post({"events": company}).status_code == 202
    assert product.post(click(visitor, "buy-hero-plan", label, 6)).status_code == 202

    card = page.locator("li.alert", has_text=visitor)
    expect(card).to_have_count(1, timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True
    expect(card.locator(".badge")).to_have_text("URGENT")
    expect(card.locator(".state")).to_have_text("pending")
    expect(card.locator("dd.stages")).to_have_text("1 → 6")
    expect(card.locator("dd.gap")).to_have_text("5")
    expect(card.locator("dd.entry")).to_have_text(label)
    expect(card.locator("b, img")).to_have_count(0)
    expect(card.locator("dd.recommended")).to_contain_text("Call now")
    expect(card.locator("dd.recent li")).to_have_count(1)
    expect(card.locator("dd.count")).to_have_text("1")
    expect(page.locator("li.alert", has_text=f"high-{RUN}@example.com")).to_have_count(
        1, timeout=WAIT_MS
    )
    expect(page.locator("li.alert", has_text=f"ceo-{RUN}@example.com")).to_have_count(
        1, timeout=WAIT_MS
    )
    expect(
        page.locator("li.alert", has_text=f"high-{RUN}@example.com").locator(".badge")
    ).to_have_text("HIGH")

    # The same skip again is folded into the alert: its count goes up, live.
    assert product.post(click(visitor, "buy-hero-plan", label, 6)).status_code == 202
    expect(card.locator("dd.count")).to_have_text("2", timeout=WAIT_MS)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "humansherpadashboard.png"), full_page=True)

    card.get_by_role("button", name="Acknowledge").click()
    expect(card.locator(".state")).to_have_text("acknowledged", timeout=WAIT_MS)
    expect(card.locator("dd.acknowledged")).to_contain_text(consultant)
    expect(card.get_by_role("button", name="Acknowledge")).to_be_disabled()

    card.get_by_role("button", name="Mark as Actioned").click()
    expect(card.locator(".state")).to_have_text("actioned", timeout=WAIT_MS)
    expect(card).to_have_count(0, timeout=WAIT_MS)  # it leaves the pending view
    assert page.evaluate("window.notReloaded") is True

    alerts = product.get(f"/v1/alerts?prospect_id={visitor}").json()["alerts"]
    assert [(a["status"], a["acknowledged_by"], a["actioned_by"]) for a in alerts] == [
        ("actioned", consultant, consultant)
    ]

    page.get_by_label("Status").select_option("actioned")
    expect(page).to_have_url(f"{product.base}{PATH}?status=actioned")
    done = page.locator("li.alert", has_text=visitor)
    expect(done).to_have_count(1, timeout=WAIT_MS)
    expect(done.locator(".state")).to_have_text("actioned")
    expect(done.get_by_role("button", name="Mark as Actioned")).to_be_disabled()
    expect(page.locator("#live")).to_have_text("Live")


def test_a_refused_action_is_shown_on_the_card(
    product: Product, consultant: str, page: Page
) -> None:
    visitor = f"v-raced-{RUN}"
    open_dashboard(page, product.base, consultant)
    assert product.post(click(visitor, "book-demo", "Book a Demo", 4)).status_code == 202
    card = page.locator("li.alert", has_text=visitor)
    expect(card).to_have_count(1, timeout=WAIT_MS)
    expect(card.locator(".badge")).to_have_text("HIGH")

    # Another consultant acts on it first; this page clicks before the live feed tells it.
    alert_id = card.get_attribute("data-alert-id")
    page.route(
        f"**/v1/alerts/{alert_id}/acknowledge",
        lambda route: route.fulfill(
            status=409, json={"detail": "the alert is already acknowledged"}
        ),
    )
    card.get_by_role("button", name="Acknowledge").click()
    expect(card.get_by_role("alert")).to_have_text(
        "the alert is already acknowledged (409)", timeout=WAIT_MS
    )
    expect(card.locator(".state")).to_have_text("pending")


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product) -> None:
    answer = httpx.get(f"{product.base}{PATH}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={PATH}"


def test_the_page_allows_only_its_own_script_and_the_same_origin(
    product: Product, consultant: str, page: Page
) -> None:
    open_dashboard(page, product.base, consultant)
    answer = page.request.get(f"{product.base}{PATH}")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["cache-control"] == "no-store"


def test_the_indicator_shows_reconnecting_while_the_stream_fails_and_live_once_it_is_back(
    product: Product, consultant: str, page: Page
) -> None:
    open_dashboard(page, product.base, consultant)
    page.route("**/v1/alerts/stream", lambda route: route.abort())
    page.reload()
    expect(page.locator("#live")).to_have_text("Reconnecting…", timeout=WAIT_MS)
    # The list still loads without the stream.
    expect(page.locator("#summary")).not_to_have_text("Loading alerts…", timeout=WAIT_MS)
    page.unroute("**/v1/alerts/stream")
    expect(page.locator("#live")).to_have_text("Live", timeout=WAIT_MS)
