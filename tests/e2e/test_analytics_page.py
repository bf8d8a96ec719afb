"""The /analyticsdashboard page in Debian's Chromium against the running product: a small
history of clicks, posted to ingest on one past day of its own (so other tests' prospects stay
out of the window), gives the figures computed by hand below, on the page and in its CSV."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS, add_consultant, log_in
from tests.processes import poll
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
PATH = "/analyticsdashboard"
# A day no other run uses, so the window holds this history alone.
DAY = date(2001, 1, 1) + timedelta(days=random.SystemRandom().randrange(6900))


def click(
    visitor: str, hour: float, cta: str, stage: int, points: int, source: str
) -> dict[str, Any]:
    at = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=hour)
    return {
        "type": "cta.clicked",
        "visitor_id": f"an-{RUN}-{visitor}",
        "occurred_at": at.isoformat(),
        "cta": {"id": f"{cta}-{RUN}", "label": cta.title(), "stage": stage, "points": points},
        "page": f"https://example.com/{cta}",
        "utm": {"source": f"{source}-{RUN}", "medium": "email", "campaign": f"an-{RUN}"},
    }


def history() -> list[dict[str, Any]]:
    """p1: 1 -> 2 after 1 h, 2 -> 3 after 2 h. p2: 1 -> 2 after 4 h. p3: 1 -> 4 after 30 min.
    p4 and p5 stay in Stage 1; p4 clicks again today, so only p4 is still active."""
    today = click("p4", 0, "guide", 1, 5, "ads")
    today["occurred_at"] = datetime.now(UTC).isoformat()
    return [
        click("p1", 9, "guide", 1, 10, "newsletter"),
        click("p1", 10, "pricing", 2, 20, "newsletter"),
        click("p1", 12, "demo", 3, 50, "newsletter"),
        click("p2", 9.5, "guide", 1, 10, "newsletter"),
        click("p2", 13.5, "pricing", 2, 20, "newsletter"),
        click("p3", 11, "webinar", 1, 10, "newsletter"),
        click("p3", 11.5, "proposal", 4, 50, "newsletter"),
        click("p4", 15, "webinar", 1, 5, "ads"),
        click("p5", 16, "guide", 1, 5, "ads"),
        today,
    ]


def api(product: Product, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{product.base}/v1/analytics/{path}",
        params={"from": DAY.isoformat(), "to": DAY.isoformat(), **params},
        headers={"Authorization": f"Bearer {product.token}"},
    )


def settled(product: Product) -> bool:
    """Every event of the history has reached the read model."""
    stages = api(product, "stages").json()
    advances = api(product, "time-to-advance").json()
    quiet = api(product, "drop-off", inactive_days=7).json()
    return (
        [s["prospects"] for s in stages["stages"]] == [2, 1, 1, 1, 0, 0]
        and [s["advances"] for s in advances["stages"]] == [3, 1, 0, 0, 0]
        and quiet["stages"][0]["inactive"] == 1
    )


def cells(page: Page, section: str, row: str, columns: tuple[str, ...]) -> list[str]:
    found = page.locator(f"#{section} tbody tr{row}")
    return [found.locator(f".{c}").inner_text() for c in columns]


def test_the_dashboard_shows_the_hand_computed_figures_of_a_seeded_history(
    product: Product, page: Page
) -> None:
    assert product.post({"events": history()}).status_code == 202
    assert poll(lambda: settled(product), bool, timeout=60)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )

    log_in(page, product.base, PATH, add_consultant(product, "analyst"))
    expect(page.locator("svg.chart")).to_have_count(5)
    page.get_by_label("From", exact=True).fill(DAY.isoformat())
    page.get_by_label("To", exact=True).fill(DAY.isoformat())
    page.get_by_label("Converted at stage").select_option("3")
    page.get_by_label("Inactive after (days)").fill("7")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**{PATH}?from={DAY.isoformat()}*")

    shares = ("prospects", "share")
    assert cells(page, "stages", '[data-stage="1"]', shares) == ["2", "40.0%"]
    assert cells(page, "stages", '[data-stage="2"]', shares) == ["1", "20.0%"]
    assert cells(page, "stages", '[data-stage="3"]', shares) == ["1", "20.0%"]
    assert cells(page, "stages", '[data-stage="4"]', shares) == ["1", "20.0%"]
    assert cells(page, "stages", '[data-stage="5"]', shares) == ["0", "0.0%"]
    expect(page.locator("#stages .note")).to_have_text("5 prospects by their current stage.")

    # Peaks: p1 3, p2 2, p3 4 (skipping 2 and 3), p4 and p5 1.
    reached = ("reached", "step", "overall")
    assert cells(page, "funnel", '[data-stage="1"]', reached) == ["5", "—", "100.0%"]
    assert cells(page, "funnel", '[data-stage="2"]', reached) == ["3", "60.0%", "60.0%"]
    assert cells(page, "funnel", '[data-stage="3"]', reached) == ["2", "66.7%", "40.0%"]
    assert cells(page, "funnel", '[data-stage="4"]', reached) == ["1", "50.0%", "20.0%"]
    assert cells(page, "funnel", '[data-stage="5"]', reached) == ["0", "0.0%", "0.0%"]
    assert cells(page, "funnel", '[data-stage="6"]', reached) == ["0", "—", "0.0%"]
    expect(page.locator("#funnel-chart g.bar")).to_have_count(6)

    rates = ("prospects", "converted", "rate")
    assert cells(page, "conversion", ".overall", rates) == ["5", "2", "40.0%"]
    assert cells(page, "conversion", f'[data-key="guide-{RUN}"]', rates) == ["3", "1", "33.3%"]
    assert cells(page, "conversion", f'[data-key="webinar-{RUN}"]', rates) == ["2", "1", "50.0%"]
    expect(page.locator("#conversion tbody tr")).to_have_count(3)

    times = ("advances", "average", "median", "p90")
    # Stage 1 was left after 30 min, 1 h and 4 h: p90 = 1 h + 0.8 x 3 h.
    assert cells(page, "advance", '[data-stage="1"]', times) == [
        "3",
        "1 h 50 min",
        "1 h",
        "3 h 24 min",
    ]
    assert cells(page, "advance", '[data-stage="2"]', times) == ["1", "2 h", "2 h", "2 h"]
    assert cells(page, "advance", '[data-stage="3"]', times) == ["0", "—", "—", "—"]

    quiet = ("prospects", "inactive", "rate")
    assert cells(page, "drop-off", '[data-stage="1"]', quiet) == ["2", "1", "50.0%"]
    assert cells(page, "drop-off", '[data-stage="2"]', quiet) == ["1", "1", "100.0%"]
    assert cells(page, "drop-off", '[data-stage="4"]', quiet) == ["1", "1", "100.0%"]
    assert cells(page, "drop-off", '[data-stage="6"]', quiet) == ["0", "0", "—"]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "analyticsdashboard.png"), full_page=True)

    page.get_by_role("combobox", name="Conversion by").select_option("utm_source")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#conversion-title")).to_contain_text("Conversion by UTM source")
    newsletter = f'[data-key="newsletter-{RUN}"]'
    assert cells(page, "conversion", newsletter, rates) == ["3", "2", "66.7%"]
    assert cells(page, "conversion", f'[data-key="ads-{RUN}"]', rates) == ["2", "0", "0.0%"]

    # The CSV export parses and says what the page says.
    href = page.locator("#csv-conversion").get_attribute("href")
    assert href is not None
    exported = httpx.get(
        f"{product.base}{href}", headers={"Authorization": f"Bearer {product.token}"}
    )
    assert exported.status_code == 200, exported.text
    rows = {r["utm_source"]: r for r in csv.DictReader(io.StringIO(exported.text))}
    assert rows[f"newsletter-{RUN}"]["reached_stage_3"] == "2"
    assert float(rows[f"newsletter-{RUN}"]["rate"]) == round(2 / 3, 6)
    assert rows[f"ads-{RUN}"]["prospects"] == "2"
    assert problems == []


def test_a_bad_filter_is_reported_on_the_page_and_left_out(product: Product, page: Page) -> None:
    log_in(page, product.base, PATH, add_consultant(product, "analyst"))
    answer = page.goto(f"{product.base}{PATH}?from=yesterday&inactive_days=0&by=colour")
    assert answer is not None and answer.status == 422
    expect(page.locator(".errors li")).to_have_text(
        [
            "From must be a date (YYYY-MM-DD).",
            "Conversion by must be the first CTA or a UTM field.",
            "Inactive days must be a whole number from 1 to 3650.",
        ]
    )
    expect(page.locator("svg.chart")).to_have_count(5)


def test_a_day_out_of_range_is_reported_on_the_page_and_left_out(
    product: Product, page: Page
) -> None:
    log_in(page, product.base, PATH, add_consultant(product, "analyst"))
    answer = page.goto(f"{product.base}{PATH}?from=0001-01-01&to=9999-12-31")
    assert answer is not None and answer.status == 422
    expect(page.locator(".errors li")).to_have_text(
        [
            "From must be a day from 1970-01-01 to 2999-12-31.",
            "To must be a day from 1970-01-01 to 2999-12-31.",
        ]
    )
    expect(page.locator("svg.chart")).to_have_count(5)


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product) -> None:
    answer = httpx.get(f"{product.base}{PATH}?from=2020-01-01", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={PATH}%3Ffrom%3D2020-01-01"
