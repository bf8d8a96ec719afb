"""A request to talk to sales, published on `crm.billing` as the billing service does, in Debian's
Chromium against `serve all` on Kafka and PostgreSQL: it appears live on /humansherpadashboard as
its own kind of alert with the tier asked for, the consultant acknowledges it, and the prospect's
record shows it on the timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from schemas.billing import SalesContactRequestedV1
from tests.e2e.conftest import SCREENSHOTS, add_consultant
from tests.e2e.test_alert_dashboard_page import click, open_dashboard, watch_problems
from tests.processes import poll
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
WAIT_MS = 20_000
MESSAGE = 'We are 40 <b>people</b>: "can we talk?"'


@pytest.fixture(scope="module")
def consultant(product: Product) -> str:
    return add_consultant(product, "sales")


def test_a_sales_request_appears_live_as_its_own_kind_and_on_the_prospects_timeline(
    product: Product, consultant: str, page: Page
) -> None:
    visitor = f"v-sales-{RUN}"
    email = f"buyer-{RUN}@example.com"
    assert product.post(click(visitor, "read-guide", "Read the guide", 1, email)).status_code == 202
    poll(lambda: product.prospect(visitor), lambda r: r.status_code == 200)
    problems = watch_problems(page)
    open_dashboard(page, product.base, consultant)
    page.evaluate("window.notReloaded = true")

    product.publish(
        [
            SalesContactRequestedV1(
                event_id=uuid.uuid4(),
                occurred_at=datetime.now(UTC),
                subject_id=visitor,
                email=email,
                name="Ana Silva",
                message=MESSAGE,
                required_tier="Enterprise",
                current_tier="Accelerator",
                cta_id="talk-to-sales-enterprise",
            )
        ]
    )

    card = page.locator('li.alert[data-kind="sales"]', has_text=email)
    expect(card).to_have_count(1, timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True
    expect(card.locator(".kind")).to_have_text("Talk to Sales")
    expect(card.locator(".badge")).to_have_text("HIGH")
    expect(card.locator("dd.sales-request")).to_have_text(
        "Talk to Sales: wants Enterprise (has Accelerator)"
    )
    expect(card.locator("dd.sales-name")).to_have_text("Ana Silva")
    expect(card.locator("dd.sales-message")).to_have_text(MESSAGE)
    expect(card.locator("b")).to_have_count(0)
    expect(card.locator("dd.stages")).to_have_count(0)
    # Blue, not the skip alerts' amber: another kind at a glance.
    border = card.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert border == "rgb(31, 95, 191)", border
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "humansherpadashboard-sales.png"), full_page=True)

    card.get_by_role("button", name="Acknowledge").click()
    expect(card.locator(".state")).to_have_text("acknowledged", timeout=WAIT_MS)
    expect(card.locator("dd.acknowledged")).to_contain_text(consultant)

    page.goto(f"{product.base}/prospects/{visitor}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(
        "Asked to talk to sales: wants Enterprise (has Accelerator)", timeout=WAIT_MS
    )
    expect(timeline).to_contain_text(f"Ana Silva: “{MESSAGE}”")
    expect(timeline.locator("b")).to_have_count(0)
    assert problems == []
