"""The /customerjourney page in Debian's Chromium, driven by Playwright, against the product on
Kafka and PostgreSQL: a consultant logs in, a website click becomes a card in its stage with its
entry point and time in stage, and the UTM filter narrows the board."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import SCREENSHOTS, add_consultant
from tests.e2e.conftest import log_in as enter
from tests.product import Product

RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def consultant(product: Product) -> str:
    return add_consultant(product, "consultant")


def click(
    visitor: str, cta: str, label: str, stage: int, points: int, campaign: str, ago: timedelta
) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": (datetime.now(UTC) - ago).isoformat(),
        "cta": {"id": cta, "label": label, "stage": stage, "points": points},
        "page": f"https://example.com/{cta}",
        "utm": {"source": "google", "medium": "cpc", "campaign": campaign},
    }


def log_in(page: Page, base: str, email: str) -> None:
    enter(page, base, "/customerjourney", email)


def card_of(page: Page, visitor: str, timeout: float = 30) -> Locator:
    """The visitor's card, reloading the page until the board shows it."""
    card = page.locator(f'li.card[data-prospect-id="{visitor}"]')
    deadline = time.monotonic() + timeout
    while card.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        page.reload()
    return card


def test_a_consultant_logs_in_and_sees_a_new_prospect_on_the_board_and_filters_it(
    product: Product, consultant: str, page: Page
) -> None:
    fresh, jumper = f"v-fresh-{RUN}", f"v-jump-{RUN}"
    mine, theirs = f"launch-{RUN}", f"retarget-{RUN}"
    hour = timedelta(hours=1)
    events = [
        click(
            fresh,
            "schedule-discovery-call",
            "Schedule Discovery Call",
            1,
            10,
            mine,
            timedelta(hours=3, minutes=10, seconds=5),
        ),
        click(jumper, "read-blog", "<b>Read</b> the Blog", 1, 10, theirs, 2 * hour),
        click(jumper, "book-demo", "Book a Demo", 4, 30, theirs, hour),
    ]
    for n in range(14):  # a board with company, for the screenshot
        stage = 1 + n % 5
        events.append(
            click(
                f"v-crowd-{RUN}-{n}",
                f"cta-stage-{stage}",
                f"Stage {stage} offer",
                stage,
                10 + 9 * n % 40,
                f"campaign-{n % 3}",
                timedelta(minutes=7 * n + 2),
            )
        )
    assert product.post({"events": events}).status_code == 202

    log_in(page, product.base, consultant)
    card = card_of(page, fresh)
    expect(card).to_have_count(1)

    stage_1 = page.locator('section[data-stage="1"]')
    expect(stage_1.locator(f'li.card[data-prospect-id="{fresh}"]')).to_have_count(1)
    expect(card).to_contain_text("Stage 1 · Call to Discovery")
    expect(card.locator("dd.entry")).to_have_text("Schedule Discovery Call")
    expect(card.locator("dd.utm")).to_have_text(f"google / {mine}")
    expect(card.locator(".time")).to_have_text(re.compile(r"^3 h 1[01] min in stage$"))
    expect(card).to_contain_text("10 pts · 1 click")

    jumped = card_of(page, jumper)
    expect(
        page.locator(f'section[data-stage="3"] li.card[data-prospect-id="{jumper}"]')
    ).to_have_count(1)
    expect(jumped).to_contain_text("Stage 3 · Validation")
    expect(jumped).to_contain_text("100 pts · 2 clicks")
    expect(jumped.locator("dd.entry")).to_have_text("<b>Read</b> the Blog")
    expect(jumped.locator("b")).to_have_count(0)

    card_of(page, f"v-crowd-{RUN}-13")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customerjourney.png"), full_page=True)

    page.get_by_label("UTM campaign").fill(mine)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(rf"utm_campaign={mine}"))
    expect(page.locator(f'li.card[data-prospect-id="{fresh}"]')).to_have_count(1)
    expect(page.locator("li.card")).to_have_count(1)
    expect(page.locator('section[data-stage="1"] .count')).to_have_text("1")
    expect(page.locator(".summary")).to_have_text("1 prospect matching the filters")
    page.screenshot(path=str(SCREENSHOTS / "customerjourney-filtered.png"), full_page=True)


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product, page: Page) -> None:
    answer = httpx.get(f"{product.base}/customerjourney?stage=3", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/customerjourney%3Fstage%3D3"

    page.goto(f"{product.base}/customerjourney")
    expect(page).to_have_url(f"{product.base}/login?next=/customerjourney")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_wrong_password_is_refused_on_the_login_page(
    product: Product, consultant: str, page: Page
) -> None:
    page.goto(f"{product.base}/login")
    page.get_by_label("Email").fill(consultant)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("the email or password is not right")
    expect(page).to_have_url(f"{product.base}/login")
