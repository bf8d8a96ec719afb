"""The /journeykanban page in Debian's Chromium, driven by Playwright, against the product on Kafka
and PostgreSQL: a consultant drags a prospect's card to another stage, gives a reason, and the
move is recorded in the prospect's timeline; a move the API refuses is shown, never lost."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.conftest import PASSWORD, SCREENSHOTS, add_consultant, scripts_of
from tests.e2e.conftest import log_in as enter
from tests.product import Product

RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def consultant(product: Product) -> str:
    return add_consultant(product, "kanban")


def click(visitor: str, cta: str, label: str, stage: int, points: int) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": datetime.now(UTC).isoformat(),
        "cta": {"id": cta, "label": label, "stage": stage, "points": points},
        "page": f"https://example.com/{cta}",
        "utm": {"source": "google", "medium": "cpc", "campaign": f"kanban-{RUN}"},
    }


def log_in(page: Page, base: str, email: str) -> None:
    enter(page, base, "/journeykanban", email)


def card_in(page: Page, visitor: str, stage: int, timeout: float = 30) -> Locator:
    """The visitor's card in the stage's column, reloading until the board shows it there."""
    card = page.locator(f'section[data-stage="{stage}"] li.card[data-prospect-id="{visitor}"]')
    deadline = time.monotonic() + timeout
    while card.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.25)
        page.reload()
    expect(card).to_have_count(1)
    return card


def column(page: Page, stage: int) -> Locator:
    return page.locator(f'section[data-stage="{stage}"]')


def test_a_consultant_drags_a_card_to_another_stage_and_a_refused_move_is_shown(
    product: Product, consultant: str, page: Page
) -> None:
    mover, raced = f"v-kanban-{RUN}", f"v-raced-{RUN}"
    events = [
        click(mover, "schedule-discovery-call", "Schedule <i>Discovery</i> Call", 1, 10),
        click(raced, "read-blog", "Read the Blog", 1, 10),
    ]
    events += [
        click(f"v-kcrowd-{RUN}-{n}", f"cta-stage-{1 + n % 6}", "Offer", 1 + n % 6, 10 + n)
        for n in range(12)
    ]
    assert product.post({"events": events}).status_code == 202
    problems: list[str] = []  # script errors and policy violations; a 409 in the log is fine
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )

    log_in(page, product.base, consultant)
    card = card_in(page, mover, 1)
    card_in(page, raced, 1)
    expect(card).to_have_attribute("draggable", "true")
    expect(card).to_contain_text("Stage 1 · Call to Discovery")
    expect(card).to_contain_text("Entry: Schedule <i>Discovery</i> Call")
    expect(card.locator("i")).to_have_count(0)
    expect(card).to_contain_text("10 pts · 1 click")

    # Cancelling the reason aborts the move: nothing is posted, the card stays.
    card.drag_to(column(page, 4))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Move {mover} from stage 1 · Call to Discovery to stage 4")
    page.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(column(page, 1).locator(f'li.card[data-prospect-id="{mover}"]')).to_have_count(1)

    # A move: the card shows "Moving…" while the API call is held back, then lands in stage 4.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/v1/prospects/*/stage", hold)
    card.drag_to(column(page, 4))
    expect(dialog).to_be_visible()
    page.get_by_label("Reason for the move").fill("Booked a demo <b>by phone</b>")
    page.get_by_role("button", name="Move", exact=True).click()
    moved = column(page, 4).locator(f'li.card[data-prospect-id="{mover}"]')
    expect(moved.locator(".moving")).to_have_text("Moving…")
    expect(moved.locator(".moving")).to_be_visible()
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/v1/prospects/*/stage")
    expect(moved.locator(".moving")).to_be_hidden()
    expect(moved).to_contain_text("Stage 4 · ")
    expect(moved).to_have_attribute("data-stage", "4")
    expect(page.locator("#kanban-info")).to_contain_text(f"Moved {mover} to stage 4")
    expect(page.locator("#kanban-error")).to_be_hidden()
    expect(moved).to_have_attribute("data-confirmed", "true", timeout=20_000)

    again = card_in(page, mover, 4)  # after a reload too
    expect(column(page, 1).locator(f'li.card[data-prospect-id="{mover}"]')).to_have_count(0)

    # The keyboard asks the same question (focus a card, press the stage); Escape aborts.
    again.focus()
    page.keyboard.press("6")
    expect(dialog).to_contain_text(f"Move {mover} from stage 4 · Commitment to stage 6 · Mastery")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(again).to_have_attribute("data-stage", "4")

    timeline = product.get(f"/v1/prospects/{mover}/timeline")
    assert timeline.status_code == 200, timeline.text
    changes = [e for e in timeline.json()["entries"] if e["kind"] == "stage.changed"]
    manual = [e for e in changes if e["cause"] == "manual"]
    assert len(manual) == 1, changes
    assert manual[0]["old_stage"] == 1
    assert manual[0]["new_stage"] == 4
    assert manual[0]["changed_by"] == consultant
    assert manual[0]["reason"] == "Booked a demo <b>by phone</b>"

    # A move the API refuses: someone moved this prospect to stage 4 behind the page's back.
    racer = card_in(page, raced, 1)
    behind = httpx.post(
        f"{product.base}/v1/prospects/{raced}/stage",
        json={"stage": 4, "reason": "moved through the API"},
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert behind.status_code == 200, behind.text
    racer.drag_to(column(page, 4))
    page.get_by_label("Reason for the move").fill("Also booked a demo")
    page.get_by_role("button", name="Move", exact=True).click()
    error = page.locator("#kanban-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        f"Could not move {raced} to stage 4 · Commitment: the prospect is already in stage 4"
    )
    expect(column(page, 1).locator(f'li.card[data-prospect-id="{raced}"]')).to_have_count(1)
    expect(column(page, 4).locator(f'li.card[data-prospect-id="{raced}"]')).to_have_count(0)
    expect(racer).to_have_attribute("data-stage", "1")
    expect(racer.locator(".moving")).to_be_hidden()
    expect(racer).to_have_attribute("draggable", "true")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journeykanban.png"))
    assert problems == []


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product) -> None:
    answer = httpx.get(f"{product.base}/journeykanban", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/journeykanban"


def test_a_drag_from_the_prospects_name_moves_the_card_and_a_click_opens_its_record(
    product: Product, consultant: str, page: Page
) -> None:
    named = f"v-named-{RUN}"
    assert product.post(click(named, "compare-plans", "Compare Plans", 1, 20)).status_code == 202
    log_in(page, product.base, consultant)
    card = card_in(page, named, 1)
    name = card.locator(".name a")
    expect(name).to_have_text(named)
    expect(name).to_have_attribute("href", f"/prospects/{named}")

    name.drag_to(column(page, 5))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_contain_text(f"Move {named} from stage 1 · Call to Discovery to stage 5")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "journeykanban-move.png"))
    page.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(card).to_have_attribute("data-stage", "1")
    assert page.url == f"{product.base}/journeykanban"

    name.click()
    page.wait_for_url(f"{product.base}/prospects/{named}")
    expect(page.get_by_role("heading", name=f"Where {named} stands")).to_be_visible()


def session(product: Product, consultant: str) -> dict[str, str]:
    token = httpx.post(
        f"{product.base}/v1/auth/login", json={"email": consultant, "password": PASSWORD}
    ).json()["token"]
    return {"crm_session": token}


def test_a_prospects_record_link_keeps_its_whole_id_in_one_path_segment(
    product: Product, consultant: str
) -> None:
    odd = f"v-odd/{RUN}?x=1&<b>"
    assert product.post(click(odd, "read-blog", "Read the Blog", 3, 10)).status_code == 202
    href = f'href="/prospects/v-odd%2F{RUN}%3Fx%3D1%26%3Cb%3E"'
    deadline = time.monotonic() + 30
    text = ""
    while href not in text and time.monotonic() < deadline:
        time.sleep(0.25)
        text = httpx.get(f"{product.base}/journeykanban", cookies=session(product, consultant)).text
    assert href in text
    assert "<b>" not in text


def test_the_page_allows_only_its_own_scripts_and_its_own_origin(
    product: Product, consultant: str
) -> None:
    answer = httpx.get(f"{product.base}/journeykanban", cookies=session(product, consultant))
    assert answer.status_code == 200
    assert scripts_of(answer.text, answer.headers["content-security-policy"]) == [
        *("format.js", "layout.js", "kanbanmoves.js", "journeykanban.js")
    ]
