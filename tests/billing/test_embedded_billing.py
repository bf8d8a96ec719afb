"""The billing service inside `crm-journey run` (SQLite, embedded log), against stripe-mock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import httpx

from tests.billing.service import GATED, SITE_KEY
from tests.processes import CLI, crm
from tests.stripe_signing import WEBHOOK_SECRET, completed, signature


def test_the_embedded_product_sells_an_upgrade_and_opens_the_cta(
    tmp_path: Path, stripe_api_base: str
) -> None:
    env = {
        "CRM_INGEST_API_KEYS": SITE_KEY,
        "STRIPE_API_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api_base,
    }
    site = {"Authorization": f"Bearer {SITE_KEY}"}
    data = tmp_path / "data"
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    query = {"prospect_id": prospect, "cta_id": GATED}
    with crm(["run", "--data-dir", str(data)], tmp_path / "run.log", env) as base:
        denied = httpx.get(f"{base}/v1/access", params=query, headers=site)
        assert denied.status_code == 200 and denied.json()["allowed"] is False
        assert httpx.get(f"{base}/v1/access", params=query).status_code == 401
        started = httpx.post(f"{base}/v1/checkout", json=query, headers=site, timeout=30).json()
        assert started["checkout_session_id"].startswith("cs_test_")
        payload = completed(started["intent_id"], started["checkout_session_id"])
        done = httpx.post(
            f"{base}/v1/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": signature(payload)},
        )
        assert done.status_code == 200 and done.json()["outcome"] == "upgraded"
        allowed = httpx.get(f"{base}/v1/access", params=query, headers=site).json()
        assert allowed["allowed"] is True
    with sqlite3.connect(data / "billing.db") as db:
        kinds = [r[0] for r in db.execute("SELECT type FROM billing_journal ORDER BY seq")]
    assert kinds == [
        "upgrade_intent.recorded.v1",
        "checkout.started.v1",
        "checkout.completed.v1",
        "tier.upgraded.v1",
    ]


def test_a_bad_tiers_file_stops_start_up_naming_the_line(tmp_path: Path) -> None:
    tiers = tmp_path / "tiers.yaml"
    tiers.write_text(
        "tiers:\n  - name: Free\n  - name: Pro\n    price: price_pro\nctas:\n  x: Gold\n"
    )
    done = subprocess.run(
        [*CLI, "run", "--data-dir", str(tmp_path / "data"), "--port", "1"],
        env={**os.environ, "CRM_BILLING_TIERS_FILE": str(tiers)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{tiers} line 6: CTA 'x' needs 'Gold'" in done.stderr
