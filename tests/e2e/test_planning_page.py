"""The /customerplanningreview page in Debian's Chromium, driven by Playwright, against the product
on Kafka and PostgreSQL: a prospect who reached Construction is listed with its journey, and a
consultant's roadmap note goes through the event log and is listed under it; once the prospect
pays for Accelerator through billing, the page shows that tier."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PASSWORD, SCREENSHOTS, add_consultant, scripts_of
from tests.e2e.conftest import log_in as enter
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
PATH = "/customerplanningreview"


def log_in(page: Page, base: str, product: Product) -> str:
    email = add_consultant(product, "planner")
    enter(page, base, PATH, email)
    return email


def listed(page: Page, visitor: str, stage: int, timeout: float = 30) -> Locator:
    """The visitor's entry under the stage, reloading until the board shows it there."""
    entry = page.locator(f'section[data-stage="{stage}"] li[data-prospect-id="{visitor}"]')
    deadline = time.monotonic() + timeout
    while entry.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        page.reload()
    expect(entry).to_have_count(1)
    return entry


def tier_shown(page: Page, visitor: str) -> str:
    found = page.locator(f'li[data-prospect-id="{visitor}"] .tier')
    return found.inner_text() if found.count() == 1 else ""


def test_a_consultant_reviews_a_construction_prospect_and_adds_a_roadmap_note(
    product: Product, page: Page
) -> None:
    visitor = f"v-planning-{RUN}"
    click = {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": datetime.now(UTC).isoformat(),
        "cta": {
            "id": "mastery-workshop",
            "label": "Mastery <em>Workshop</em>",
            "stage": 6,
            "points": 50,
        },
        "page": "https://example.com/mastery",
        "utm": {"source": "newsletter", "medium": "email", "campaign": f"plan-{RUN}"},
    }
    assert product.post(click).status_code == 202
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )

    consultant = log_in(page, product.base, product)
    prospect = listed(page, visitor, 5)
    expect(prospect).to_contain_text("5 · Construction")
    expect(prospect.locator(".entry")).to_contain_text("Mastery <em>Workshop</em>")
    expect(prospect.locator(".entry")).to_contain_text("https://example.com/mastery")
    expect(prospect.locator("em")).to_have_count(0)
    expect(prospect.locator(".clicks")).to_have_text("1 click · 250 pts")
    expect(prospect.locator(".tier")).to_have_text("Explorer")
    expect(prospect.locator('table.periods tr[data-stage="5"]')).to_contain_text("Construction")
    expect(prospect.locator('table.periods tr[data-stage="5"] .time')).to_have_text("under 1 min")
    name = prospect.locator("h3 a")
    expect(name).to_have_text(visitor)
    expect(name).to_have_attribute("href", f"/prospects/{visitor}")
    expect(prospect.locator(".notes li")).to_have_text(["No roadmap notes yet."])

    # An empty note is refused on the page, visibly; nothing is posted.
    prospect.get_by_role("button", name="Add note").click()
    expect(prospect.locator(".error")).to_have_text("Write the note first.")

    text = "Phase 1: <script>alert(1)</script> migrate onboarding"
    prospect.get_by_placeholder("New roadmap note").fill(text)
    prospect.get_by_role("button", name="Add note").click()
    expect(prospect.locator(".status")).to_have_text("Note added.", timeout=20_000)
    expect(prospect.locator(".error")).to_have_text("")
    notes = prospect.locator(".notes li")
    expect(notes).to_have_count(1)
    expect(notes.first.locator(".text")).to_have_text(text)
    expect(notes.first.locator(".meta")).to_contain_text(consultant)

    # A second note lands on top; both survive a reload, newest first.
    prospect.get_by_placeholder("New roadmap note").fill("Phase 2: train the team")
    prospect.get_by_role("button", name="Add note").click()
    expect(notes).to_have_count(2, timeout=20_000)
    page.reload()
    prospect = listed(page, visitor, 5)
    expect(prospect.locator(".notes li .text")).to_have_text(["Phase 2: train the team", text])

    # The prospect pays through billing (Checkout on stripe-mock, Stripe's signed webhook): the
    # page and the board show the new tier, from billing's own events.
    assert product.buy(visitor, "unlock-accelerator-playbooks") == "upgraded"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "Accelerator" not in tier_shown(page, visitor):
        time.sleep(0.25)
        page.reload()
    expect(listed(page, visitor, 5).locator(".tier")).to_have_text("Accelerator")
    rows = product.get(f"/v1/board?q={visitor}").json()["rows"]
    assert [(r["prospect_id"], r["tier"]) for r in rows] == [(visitor, "Accelerator")]

    answer = product.get(f"/v1/prospects/{visitor}/roadmap-notes")
    assert answer.status_code == 200, answer.text
    stored = answer.json()["notes"]
    assert [n["text"] for n in stored] == ["Phase 2: train the team", text]
    assert {n["author"] for n in stored} == {consultant}
    assert all(n["prospect_id"] == visitor for n in stored)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customerplanningreview.png"), full_page=True)
    assert problems == []

    name.click()
    page.wait_for_url(f"{product.base}/prospects/{visitor}")
    expect(page.get_by_role("heading", name=f"Where {visitor} stands")).to_be_visible()

    # The journey board's card shows the tier billing recorded too.
    page.goto(f"{product.base}/journeykanban")
    card = page.locator(f'li.card[data-prospect-id="{visitor}"]')
    expect(card.locator(".tier")).to_have_text("Accelerator")
    card.screenshot(path=str(SCREENSHOTS / "journeykanban-tier.png"))


def test_a_note_for_a_prospect_not_on_the_board_is_refused(product: Product) -> None:
    answer = httpx.post(
        f"{product.base}/v1/prospects/v-nobody-{RUN}/roadmap-notes",
        json={"text": "hello"},
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert answer.status_code == 404
    unauthenticated = httpx.post(
        f"{product.base}/v1/prospects/v-nobody-{RUN}/roadmap-notes", json={"text": "hello"}
    )
    assert unauthenticated.status_code == 401


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product) -> None:
    answer = httpx.get(f"{product.base}{PATH}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={PATH}"


def test_the_page_allows_only_its_own_scripts_and_its_own_origin(product: Product) -> None:
    email = add_consultant(product, "planner")
    token = httpx.post(
        f"{product.base}/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()["token"]
    answer = httpx.get(f"{product.base}{PATH}", cookies={"crm_session": token})
    assert answer.status_code == 200
    assert scripts_of(answer.text, answer.headers["content-security-policy"]) == [
        *("format.js", "layout.js", "roadmapnotes.js", "customerplanningreview.js")
    ]
