"""The /analyticsdashboard page in Chromium with what real websites send: a CTA label and a
campaign name far longer than the chart's label column, and prospects who entered through an
inquiry form. No label is cut off: a chart wraps or shortens it inside its column, with the
whole text in the row's tooltip and in the table beside the chart."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from services.projections.pages.charts import LABEL_WIDTH, WIDTH
from tests.e2e.conftest import SCREENSHOTS, add_consultant, log_in
from tests.processes import poll
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
PATH = "/analyticsdashboard"
DAY = date(2001, 1, 1) + timedelta(days=random.SystemRandom().randrange(6900))
LONG_LABEL = (
    "Download the complete Hero Journey playbook for founders of very small consultancies "
    f"who want to stop guessing which prospects are ready to buy ({RUN})"
)
LONG_CAMPAIGN = f"spring-founders-newsletter-retargeting-lookalike-audience-test-b-{RUN}"
FORM = f"contact-{RUN}"


def at(hour: float) -> str:
    return (datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=hour)).isoformat()


def history() -> list[dict[str, Any]]:
    """Two visitors click the long CTA (one of them then a Stage 3 one), two send the form."""
    utm = {"source": "newsletter", "medium": "email", "campaign": LONG_CAMPAIGN}
    cta = {"id": f"playbook-{RUN}", "label": LONG_LABEL, "stage": 1, "points": 10}
    clicks = [
        {"type": "cta.clicked", "visitor_id": f"lb-{RUN}-{v}", "occurred_at": at(h), "cta": cta}
        | {"utm": utm}
        for v, h in (("c1", 9), ("c2", 10))
    ]
    onwards = {"id": f"compare-{RUN}", "label": "Compare", "stage": 3, "points": 50}
    clicks.append(
        {"type": "cta.clicked", "visitor_id": f"lb-{RUN}-c1", "occurred_at": at(11)}
        | {"cta": onwards, "utm": utm}
    )
    forms = [
        {
            "type": "inquiry.submitted",
            "visitor_id": f"lb-{RUN}-{v}",
            "email": f"{v}-{RUN}@example.com",
            "form_id": FORM,
            "occurred_at": at(h),
        }
        for v, h in (("f1", 12), ("f2", 13))
    ]
    return clicks + forms


def stages(product: Product) -> list[int]:
    answer = httpx.get(
        f"{product.base}/v1/analytics/funnel",
        params={"from": DAY.isoformat(), "to": DAY.isoformat()},
        headers={"Authorization": f"Bearer {product.token}"},
    )
    return [s["reached"] for s in answer.json()["stages"]]


def overflowing(page: Page) -> list[str]:
    """The chart texts drawn outside their room: a label past the label column's left edge or
    into the bars, or a figure past the chart's right edge (chart units)."""
    found: list[str] = page.evaluate(
        """([labelWidth, width]) => {
          const bad = [];
          for (const text of document.querySelectorAll("svg.chart text")) {
            const box = text.getBBox();
            const label = text.classList.contains("label");
            const right = label ? labelWidth : width;
            if (box.x < 0 || box.x + box.width > right) bad.push(text.textContent);
          }
          return bad;
        }""",
        [LABEL_WIDTH, WIDTH],
    )
    return found


def test_long_labels_wrap_inside_the_chart_and_forms_are_entry_points(
    product: Product, page: Page
) -> None:
    assert product.post({"events": history()}).status_code == 202
    assert poll(lambda: stages(product), lambda r: r[:3] == [4, 1, 1], timeout=60)
    log_in(page, product.base, PATH, add_consultant(product, "analyst"))
    window = f"from={DAY.isoformat()}&to={DAY.isoformat()}&target_stage=3"
    page.goto(f"{product.base}{PATH}?{window}")

    form_row = page.locator(f'#conversion tr[data-key="form:{FORM}"]')
    expect(form_row.locator("td").first).to_have_text(f"Form: {FORM}")
    expect(form_row.locator(".prospects")).to_have_text("2")
    expect(page.locator("#conversion .none")).to_have_count(0)
    cta_row = page.locator(f'#conversion tr[data-key="playbook-{RUN}"]')
    expect(cta_row.locator("td").first).to_have_text(f"{LONG_LABEL} (playbook-{RUN})")
    expect(cta_row.locator(".converted")).to_have_text("1")

    long = page.locator("title", has_text="Download the complete")
    bar = page.locator("#conversion-chart g.bar").filter(has=long)
    expect(bar.locator("title")).to_have_text(LONG_LABEL)
    assert len(bar.locator("text.label tspan").all()) == 2
    expect(page.locator("#conversion-chart g.bar title")).to_contain_text([f"Form: {FORM}"])
    assert overflowing(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#conversion").screenshot(path=str(SCREENSHOTS / "analytics-long-label.png"))

    page.goto(f"{product.base}{PATH}?{window}&by=utm_campaign")
    campaign = page.locator(f'#conversion tr[data-key="{LONG_CAMPAIGN}"]')
    expect(campaign.locator("td").first).to_have_text(LONG_CAMPAIGN)
    expect(page.locator("#conversion-chart g.bar title").first).to_have_text(LONG_CAMPAIGN)
    assert overflowing(page) == []
    page.locator("#conversion").screenshot(path=str(SCREENSHOTS / "analytics-long-campaign.png"))
