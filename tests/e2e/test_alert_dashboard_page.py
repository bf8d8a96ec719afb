"""The /humansherpadashboard page in Debian's Chromium, driven by Playwright, against the product
on Kafka and PostgreSQL: a consultant opens the dashboard, website skips raise alerts that appear
live (no reload) in order, URGENT first, and the consultant acknowledges one and marks it as
actioned with a note; a manual move to the target stage resolves another."""

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


def watch_problems(page: Page) -> list[str]:
    """Script errors and Content-Security-Policy violations the page reports."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return problems


def shown_order(page: Page, *names: str) -> list[str]:
    """`names` in the order their cards are shown (each card's heading names its prospect)."""
    heads = page.locator("li.alert .email").all_text_contents()
    return sorted(names, key=lambda n: next(i for i, h in enumerate(heads) if h == n))


def open_dashboard(page: Page, base: str, email: str) -> None:
    enter(page, base, PATH, email)
    expect(page.locator("#live")).to_have_text("Live", timeout=WAIT_MS)
    expect(page.locator("#summary")).not_to_have_text("Loading alerts…", timeout=WAIT_MS)


def test_a_skip_appears_live_and_the_consultant_acknowledges_and_actions_it(
    product: Product, consultant: str, page: Page
) -> None:
    problems = watch_problems(page)
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
    # Arrived live, they still stand in the API's order: URGENT first, then newest raised.
    everyone = (f"high-{RUN}@example.com", f"ceo-{RUN}@example.com", visitor)
    assert shown_order(page, *everyone) == [visitor, f"ceo-{RUN}@example.com", everyone[0]]
    expect(card.locator("a.email")).to_have_attribute("href", f"/prospects/{visitor}")
    expect(card.locator("dd.raised")).to_contain_text(" ago")

    # The same skip again is folded into the alert: its count goes up, live, and a note being
    # typed on the redrawn card is kept, with the focus.
    note = card.get_by_label("Note when actioned (optional)")
    note.fill("Called, no answer")
    assert product.post(click(visitor, "buy-hero-plan", label, 6)).status_code == 202
    expect(card.locator("dd.count")).to_have_text("2", timeout=WAIT_MS)
    expect(note).to_have_value("Called, no answer")
    expect(note).to_be_focused()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "humansherpadashboard.png"), full_page=True)

    card.get_by_role("button", name="Acknowledge").click()
    expect(card.locator(".state")).to_have_text("acknowledged", timeout=WAIT_MS)
    expect(card.locator("dd.acknowledged")).to_contain_text(consultant)
    expect(card.get_by_role("button", name="Acknowledge")).to_be_disabled()

    card.get_by_label("Note when actioned (optional)").fill("  Called: demo booked for Friday ")
    card.get_by_role("button", name="Mark as Actioned").click()
    expect(card.locator(".state")).to_have_text("actioned", timeout=WAIT_MS)
    expect(card.locator("dd.note")).to_have_text("Called: demo booked for Friday")
    expect(card).to_have_count(0, timeout=WAIT_MS)  # it leaves the pending view
    assert page.evaluate("window.notReloaded") is True

    alerts = product.get(f"/v1/alerts?prospect_id={visitor}").json()["alerts"]
    assert [(a["status"], a["acknowledged_by"], a["actioned_by"], a["note"]) for a in alerts] == [
        ("actioned", consultant, consultant, "Called: demo booked for Friday")
    ]

    page.get_by_label("Status").select_option("actioned")
    expect(page).to_have_url(f"{product.base}{PATH}?status=actioned")
    done = page.locator("li.alert", has_text=visitor)
    expect(done).to_have_count(1, timeout=WAIT_MS)
    expect(done.locator(".state")).to_have_text("actioned")
    expect(done.get_by_role("button", name="Mark as Actioned")).to_be_disabled()
    expect(done.locator("dd.note")).to_have_text("Called: demo booked for Friday")
    expect(done.locator(".note-input")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "humansherpadashboard-actioned.png"), full_page=True)
    expect(page.locator("#live")).to_have_text("Live")
    assert problems == []


def test_a_manual_move_to_the_target_stage_resolves_the_alert_live(
    product: Product, consultant: str, page: Page
) -> None:
    visitor = f"v-moved-{RUN}"
    problems = watch_problems(page)
    open_dashboard(page, product.base, consultant)
    assert product.post(click(visitor, "book-demo", "Book a Demo", 4)).status_code == 202
    card = page.locator("li.alert", has_text=visitor)
    expect(card).to_have_count(1, timeout=WAIT_MS)

    # The consultant drags the prospect to Stage 4 on the kanban (the same call, from the page,
    # as a same-origin JSON request like the kanban's script makes).
    moved = page.evaluate(
        """async (path) => {
          const answer = await fetch(path, { method: "POST", credentials: "same-origin",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ stage: 4, reason: "Signed the commitment letter" }) });
          return [answer.status, await answer.text()];
        }""",
        f"/v1/prospects/{visitor}/stage",
    )
    assert moved[0] == 200, moved[1]
    expect(card.locator(".state")).to_have_text("resolved", timeout=WAIT_MS)
    expect(card.locator("dd.resolved")).to_contain_text(f"moved to stage 4 by {consultant}")
    expect(card.locator("dd.move-reason")).to_have_text("Signed the commitment letter")
    expect(card.get_by_role("button", name="Mark as Actioned")).to_be_disabled()
    expect(card).to_have_count(0, timeout=WAIT_MS)  # it leaves the pending view

    page.get_by_label("Status").select_option("resolved")
    resolved = page.locator("li.alert", has_text=visitor)
    expect(resolved).to_have_count(1, timeout=WAIT_MS)
    expect(resolved.locator("dd.resolved")).to_contain_text(consultant)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "humansherpadashboard-resolved.png"), full_page=True)
    assert problems == []


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
    scripts = page.locator("script")
    assert scripts.count() >= 2
    for n in range(scripts.count()):
        assert scripts.nth(n).get_attribute("src"), "no inline script"
        assert (scripts.nth(n).get_attribute("integrity") or "").startswith("sha256-")
    assert page.locator("style, [style]").count() == 0


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
