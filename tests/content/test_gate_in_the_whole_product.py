"""The content service composed into the whole product: `crm-journey run` (embedded, as
`make run` starts it) and `crm-journey serve all`, both with no Anthropic key configured."""

from __future__ import annotations

import stat
from typing import Any

import httpx
import pytest

from schemas import topics
from tests.processes import poll
from tests.product import Product

METADATA = {
    "title": "Pricing conversations",
    "tagline": "Say the number with confidence",
    "domain_tags": ["pricing", "negotiation"],
    "tone": "calm",
    "fallback": {"header": "Price with confidence", "paragraphs": ["Get the playbook."]},
}


def gate_without_a_key(product: Product, playbook: str) -> None:
    before = product.log.published(topics.CONTENT)
    auth = {"Authorization": f"Bearer {product.token}"}

    stored = httpx.put(f"{product.base}/v1/playbooks/{playbook}", json=METADATA, headers=auth)
    shown = httpx.get(
        f"{product.base}/v1/playbooks/{playbook}/gate",
        params={"visitor_id": "v-whole"},
        headers={"Authorization": f"Bearer {product.producer_key}"},
    )
    metrics = httpx.get(f"{product.base}/metrics").text

    assert stored.status_code == 200, stored.text
    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "playbook_id": playbook,
        "variation_id": "fallback",
        "header": "Price with confidence",
        "paragraphs": ["Get the playbook."],
        "quote": None,
        "fallback": True,
    }
    assert 'crm_content_fallbacks_total{reason="no_api_key"}' in metrics
    # metadata set, fallback used, viewed
    published = poll(
        lambda: product.log.published(topics.CONTENT), lambda n: n >= before + 3, timeout=30
    )
    assert published == before + 3


def test_the_embedded_product_serves_the_gate_with_fallback_copy_when_no_key_is_set(
    product: Product,
) -> None:
    gate_without_a_key(product, "pricing-embedded")

    database = product.data_dir / "content.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.kafka
@pytest.mark.postgres
def test_serve_all_serves_the_gate_with_fallback_copy_when_no_key_is_set(
    real_product: Product,
) -> None:
    gate_without_a_key(real_product, "pricing-serve-all")


def test_a_website_of_another_origin_may_fetch_the_gate_from_the_browser(product: Product) -> None:
    preflight = httpx.options(
        f"{product.base}/v1/playbooks/any/gate",
        headers={
            "Origin": "https://www.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    assert preflight.status_code == 200, preflight.text
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_a_gate_form_submitted_on_the_embedded_product_makes_a_prospect_entering_by_it(
    product: Product,
) -> None:
    site = {"Authorization": f"Bearer {product.producer_key}"}
    auth = {"Authorization": f"Bearer {product.token}"}
    httpx.put(f"{product.base}/v1/playbooks/pricing-form", json=METADATA, headers=auth)
    httpx.get(
        f"{product.base}/v1/playbooks/pricing-form/gate",
        params={"visitor_id": "v-gate-form"},
        headers=site,
    )

    submitted = httpx.post(
        f"{product.base}/v1/playbooks/pricing-form/gate/submit",
        json={"email": "gate@example.com", "visitor_id": "v-gate-form", "variation_id": "fallback"},
        headers=site,
    )
    prospect = poll(
        lambda: product.prospect("v-gate-form"), lambda r: r.status_code == 200, timeout=30
    )

    assert submitted.status_code == 202, submitted.text
    assert prospect.status_code == 200
    assert prospect.json()["email"] == "gate@example.com"
    assert prospect.json()["entry_point"]["kind"] == "inquiry"
    assert prospect.json()["entry_point"]["form_id"] == "gate:pricing-form"
    analytics = poll(
        lambda: playbook_figures(product, "pricing-form"),
        lambda f: f is not None and f["totals"]["submissions"] == 1,
        timeout=30,
    )
    assert analytics is not None
    assert (analytics["totals"]["views"], analytics["totals"]["submissions"]) == (1, 1)
    assert [v["variation_id"] for v in analytics["variations"]] == ["fallback"]


def playbook_figures(product: Product, playbook: str) -> dict[str, Any] | None:
    found = product.get("/v1/analytics/playbooks").json()["playbooks"]
    return next((p for p in found if p["playbook_id"] == playbook), None)
