"""The /prospects/{id} record page in Debian's Chromium against the product on Kafka and
PostgreSQL: opened from a board card, it shows where the prospect stands, its skip alert and its
timeline; a merged-away id leads to the survivor; an unknown id is a clear 404."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS, add_consultant, log_in, scripts_of
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def consultant(product: Product) -> str:
    return add_consultant(product, "record")


def click(visitor: str, cta: str, stage: int, points: int, ago: timedelta) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": (datetime.now(UTC) - ago).isoformat(),
        "cta": {"id": cta, "label": f"Label of {cta}", "stage": stage, "points": points},
        "page": f"https://example.com/{cta}",
        "utm": {"source": "newsletter", "medium": "email", "campaign": f"c-{RUN}"},
    }


def on_board(product: Product, visitor: str, stage: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = product.get(f"/v1/board?q={visitor}").json()["rows"]
        if any(r["prospect_id"] == visitor and r["stage"] == stage for r in rows):
            return
        time.sleep(0.25)
    pytest.fail(f"{visitor} never reached stage {stage} on the board")


def test_a_board_card_opens_the_prospect_record_with_its_alert_and_timeline(
    product: Product, consultant: str, page: Page
) -> None:
    visitor = f"v-record-{RUN}"
    answer = product.post(
        {
            "events": [
                click(visitor, "read-guide", 1, 50, timedelta(hours=2)),
                click(visitor, "book-build", 5, 40, timedelta(minutes=5)),
            ]
        }
    )
    assert answer.status_code == 202, answer.text
    on_board(product, visitor, 4)  # 50, then 40 times 3 (gap 3 from stage 2): 170 points
    log_in(page, product.base, "/customerjourney", consultant)
    page.goto(f"{product.base}/customerjourney?q={visitor}")

    page.locator(f'li.card[data-prospect-id="{visitor}"] .name a').click()

    page.wait_for_url(f"{product.base}/prospects/{visitor}")
    facts = page.locator("section.facts")
    expect(facts.locator(".current-stage")).to_contain_text("4 · Commitment")
    expect(facts.locator(".points")).to_have_text("170")
    expect(facts.locator(".tier")).to_have_text("Explorer")
    expect(page.locator("section.entry")).to_contain_text("Label of read-guide")
    expect(page.locator("#entry-history li")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#entry-history")).to_contain_text("newsletter / email / c-" + RUN)
    alert = page.locator("section.alert-list tr.alert")
    expect(alert).to_have_count(1, timeout=WAIT_MS)
    expect(alert.locator(".priority")).to_have_text("HIGH")
    expect(alert).to_contain_text("5 · Construction (gap 3)")
    timeline = page.locator("#timeline li")
    expect(timeline.first).to_contain_text("2 · Exploration → 4 · Commitment", timeout=WAIT_MS)
    expect(page.locator("#timeline")).to_contain_text("Clicked “Label of book-build”")
    times = "\N{MULTIPLICATION SIGN}"
    award = f"+120 points, 40 {times} 3 (gap 3), 170 in all"
    expect(page.locator("#timeline")).to_contain_text(award)
    expect(page.locator("#timeline")).to_contain_text("Skipped ahead to 5 · Construction")
    expect(page.locator("#timeline-status")).to_have_text(
        f"{timeline.count()} events, newest first"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "prospect-record.png"), full_page=True)
    served = page.request.get(f"{product.base}/prospects/{visitor}")
    assert scripts_of(served.text(), served.headers["content-security-policy"]) == [
        "format.js",
        "layout.js",
        "timeline.js",
        "prospect.js",
    ]


def test_a_merged_away_id_leads_to_the_survivor_and_an_unknown_id_is_a_404(
    product: Product, consultant: str, page: Page
) -> None:
    elder, younger = f"v-elder-{RUN}", f"v-younger-{RUN}"
    email = f"merge-{RUN}@example.com"
    first = product.post(click(elder, "first-look", 1, 10, timedelta(hours=3)))
    assert first.status_code == 202, first.text
    on_board(product, elder, 1)
    inquiry = {
        "type": "inquiry.submitted",
        "visitor_id": elder,
        "email": email,
        "form_id": "contact",
        "page": "https://example.com/contact",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
    }
    second = {**click(younger, "second-look", 2, 10, timedelta(hours=1)), "email": email}
    assert product.post({"events": [inquiry, second]}).status_code == 202
    deadline = time.monotonic() + 30
    while product.get(f"/v1/board?q={younger}").json()["rows"]:
        assert time.monotonic() < deadline, f"{younger} was never merged away"
        time.sleep(0.25)
    log_in(page, product.base, "/customerjourney", consultant)
    page.goto(f"{product.base}/prospects/{younger}")
    expect(page).to_have_url(f"{product.base}/prospects/{elder}")
    expect(page.locator("section.facts .merged")).to_have_text(younger)

    missing = page.request.get(f"{product.base}/prospects/nobody-{RUN}")
    assert missing.status == 404
    assert f"No prospect with id “nobody-{RUN}”" in missing.text()


def test_the_record_page_sends_a_visitor_without_a_session_to_log_in(product: Product) -> None:
    answer = httpx.get(f"{product.base}/prospects/someone", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/prospects/someone"
