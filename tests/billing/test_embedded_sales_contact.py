"""Talk to Sales and the upgrade modal's script inside `crm-journey run` (SQLite, embedded log)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import httpx

from tests.billing.service import GATED, SITE_KEY
from tests.processes import crm


def test_the_embedded_product_records_a_sales_request_and_refuses_a_bad_email(
    tmp_path: Path,
) -> None:
    site = {"Authorization": f"Bearer {SITE_KEY}"}
    data = tmp_path / "data"
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    body = {"prospect_id": prospect, "email": "eve@example.com", "cta_id": GATED}
    env = {"CRM_INGEST_API_KEYS": SITE_KEY, "CRM_BILLING_SALES_REQUESTS_PER_PROSPECT_PER_HOUR": "2"}
    with crm(["run", "--data-dir", str(data)], tmp_path / "run.log", env) as base:
        refused = httpx.post(
            f"{base}/v1/sales-contact", json={**body, "email": "eve-at-example"}, headers=site
        )
        asked = httpx.post(f"{base}/v1/sales-contact", json=body, headers=site)
        script = httpx.get(f"{base}/v1/widget/upgrade.js")
        # Each request raises a consultant alert: a prospect may ask only so often.
        again = httpx.post(f"{base}/v1/sales-contact", json=body, headers=site)
        too_often = httpx.post(f"{base}/v1/sales-contact", json=body, headers=site)

    assert again.status_code == 201
    assert too_often.status_code == 429 and int(too_often.headers["Retry-After"]) >= 1

    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "email"
    assert asked.status_code == 201, asked.text
    assert asked.json()["form"]["requested_tier"] == "Accelerator"
    with sqlite3.connect(data / "billing.db") as db:
        rows = list(db.execute("SELECT event_id, type, payload FROM billing_journal"))
    assert [(r[0], r[1]) for r in rows] == [
        (asked.json()["request_id"], "sales_contact.requested.v1"),
        (again.json()["request_id"], "sales_contact.requested.v1"),
    ]
    recorded = json.loads(rows[0][2])
    assert (recorded["email"], recorded["current_tier"], recorded["required_tier"]) == (
        "eve@example.com",
        "Explorer",
        "Accelerator",
    )
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "data-hero-cta" in script.text
