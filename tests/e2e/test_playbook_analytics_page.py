"""The /playbookanalytics page in Debian's Chromium, driven by Playwright, against the running
product on Kafka and PostgreSQL. Until the content service exists, the test records the content
events itself, publishing them on the product's log; the page must show the figures computed by
hand, sort by its column headers, and offer the same figures as a CSV download."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from schemas.content import (
    GatedContentSubmittedV1,
    GatedContentViewedV1,
    PlaybookCopyFallbackUsedV1,
    PlaybookCopyGeneratedV1,
)
from schemas.envelope import Event
from services.projections.pages.playbookanalytics import percent, seconds
from tests.e2e.conftest import SCREENSHOTS, add_consultant
from tests.e2e.conftest import log_in as enter
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
PATH = "/playbookanalytics"
A, B = f"pb-a-{RUN}", f"pb-b-{RUN}"
A1, A2, B1, B2 = "a1", "a2", "b1", "b2-<em>static</em>"
_n = 0


def record(product: Product, events: list[Event]) -> None:
    """Publish events on the product's log, as the content service will."""
    product.publish(events)


def _common() -> dict[str, object]:
    global _n
    _n += 1
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "subject_id": f"v-content-{RUN}-{_n}",
    }


def generated(playbook: str, variation: str) -> Event:
    return PlaybookCopyGeneratedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        header="Header",
        paragraphs=("One", "Two"),
        quote="Quote",
        model="test-model",
    )


def viewed(playbook: str, variation: str, fallback: bool = False) -> Event:
    return GatedContentViewedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        fallback=fallback,
    )


def submitted(playbook: str, variation: str, secs: float | None) -> Event:
    return GatedContentSubmittedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        seconds_to_submit=secs,
    )


# By hand: a1 4 views, 1 submission (30 s) → 25.0%, 30.0 s; a2 2 views (one with the fallback
# copy), 2 submissions (10 s, 15 s) → 100.0%, 12.5 s; playbook A 6 views, 3 submissions →
# 50.0%, 55/3 = 18.3 s. b1 5 views, 2 submissions (8 s, one without a time) → 40.0%, 8.0 s;
# b2 generated, never shown → no rate, no time; playbook B as b1.
EXPECTED = {
    (A, None): ("6", "3", "50.0%", "18.3 s"),
    (A, A1): ("4", "1", "25.0%", "30.0 s"),
    (A, A2): ("2", "2", "100.0%", "12.5 s"),
    (B, None): ("5", "2", "40.0%", "8.0 s"),
    (B, B1): ("5", "2", "40.0%", "8.0 s"),
    (B, B2): ("0", "0", "—", "—"),
}


def log_in(page: Page, product: Product) -> None:
    enter(page, product.base, PATH, add_consultant(product, "analyst"))


def shown(page: Page) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """This run's figures as the page shows them."""
    out: dict[tuple[str, str | None], tuple[str, ...]] = {}
    for group in page.locator("tbody.playbook").all():
        playbook = group.get_attribute("data-playbook-id") or ""
        if RUN not in playbook:
            continue
        for row in group.locator("tr").all():
            variation = row.get_attribute("data-variation-id")
            cells = row.locator("td").all_inner_texts()
            out[playbook, variation] = tuple(c.strip() for c in cells[-4:])
    return out


def order_shown(page: Page) -> list[tuple[str, list[str]]]:
    return [
        (
            g.get_attribute("data-playbook-id") or "",
            [
                v or ""
                for v in (
                    r.get_attribute("data-variation-id") for r in g.locator("tr.variation").all()
                )
            ],
        )
        for g in page.locator("tbody.playbook").all()
        if RUN in (g.get_attribute("data-playbook-id") or "")
    ]


def test_a_consultant_reads_sorts_and_downloads_the_playbook_analytics(
    product: Product, page: Page
) -> None:
    a1_view = viewed(A, A1)
    record(
        product,
        [
            generated(A, A1),
            generated(A, A2),
            generated(B, B1),
            a1_view,
            *[viewed(A, A1) for _ in range(3)],
            submitted(A, A1, 30),
            PlaybookCopyFallbackUsedV1(**_common(), playbook_id=A, reason="timeout"),
            viewed(A, A2, fallback=True),
            viewed(A, A2),
            submitted(A, A2, 10),
            submitted(A, A2, 15),
            *[viewed(B, B1) for _ in range(5)],
            submitted(B, B1, 8),
            submitted(B, B1, None),
        ],
    )
    # A redelivered view counts once; b2's generation, after it in the log, tells us it was read.
    record(product, [a1_view, generated(B, B2)])

    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    log_in(page, product)
    deadline = time.monotonic() + 30
    while (B, B2) not in shown(page) and time.monotonic() < deadline:
        time.sleep(0.25)
        page.reload()
    assert shown(page) == EXPECTED
    expect(page.locator("em")).to_have_count(0)
    expect(page.locator(f'tbody[data-playbook-id="{B}"] tr.variation').last).to_contain_text(B2)

    # Sort by conversion rate: the first click sorts highest first, the second lowest first;
    # a variation never shown has no rate and stays last.
    page.get_by_role("link", name="Conversion rate").click()
    expect(page.locator('th[data-sort="conversion_rate"]')).to_have_attribute(
        "aria-sort", "descending"
    )
    assert order_shown(page) == [(A, [A2, A1]), (B, [B1, B2])]
    page.get_by_role("link", name="Conversion rate").click()
    expect(page.locator('th[data-sort="conversion_rate"]')).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert order_shown(page) == [(B, [B1, B2]), (A, [A1, A2])]
    assert shown(page) == EXPECTED

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "playbookanalytics.png"), full_page=True)

    # The CSV: the same figures, in the same order, a total row before each playbook's variations.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if RUN in r["playbook_id"]]
    assert [(r["playbook_id"], r["variation_id"], r["row"]) for r in rows] == [
        (B, "", "total"),
        (B, B1, "variation"),
        (B, B2, "variation"),
        (A, "", "total"),
        (A, A1, "variation"),
        (A, A2, "variation"),
    ]
    from_csv = {
        (r["playbook_id"], r["variation_id"] or None): (
            r["views"],
            r["submissions"],
            percent(float(r["conversion_rate"]) if r["conversion_rate"] else None),
            seconds(
                float(r["average_seconds_to_submit"]) if r["average_seconds_to_submit"] else None
            ),
        )
        for r in rows
    }
    assert from_csv == EXPECTED

    answer = httpx.get(
        f"{product.base}/v1/analytics/playbooks.csv",
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["content-type"].startswith("text/csv")
    report = product.get("/v1/analytics/playbooks?sort=views&order=desc").json()
    mine = [p for p in report["playbooks"] if RUN in p["playbook_id"]]
    assert [p["playbook_id"] for p in mine] == [A, B]
    assert mine[0]["totals"] == {
        "views": 6,
        "submissions": 3,
        "conversion_rate": 0.5,
        "average_seconds_to_submit": 55 / 3,
    }
    assert problems == []


def test_a_visit_without_a_session_is_sent_to_the_login_page(product: Product) -> None:
    answer = httpx.get(f"{product.base}{PATH}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={PATH}"
    assert httpx.get(f"{product.base}/v1/analytics/playbooks").status_code == 401
    assert httpx.get(f"{product.base}/v1/analytics/playbooks.csv").status_code == 401
    unknown = httpx.get(
        f"{product.base}/v1/analytics/playbooks?sort=nope",
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert unknown.status_code == 422
