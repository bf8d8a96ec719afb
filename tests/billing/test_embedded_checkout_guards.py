"""Guards on `POST /v1/checkout` in `crm-journey run`, and a refund taking the tier back there:
a return URL off the website origins is a 422, a prospect starting checkouts over and over gets a
429 with Retry-After, and Stripe reporting a full refund closes the CTA again. And a playbook the
tiers file gates."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx

from tests.billing.service import GATED, SITE_KEY
from tests.processes import crm
from tests.stripe_signing import WEBHOOK_SECRET, completed, signature, stripe_event

SITE = "https://site.example"
TIERS = """\
tiers:
  - name: Explorer
    features: [Free playbooks]
  - name: Accelerator
    price: price_accelerator
    features: [Free playbooks, All gated playbooks]
ctas:
  unlock-accelerator-playbooks: Accelerator
playbooks:
  scaling-playbook: Accelerator
"""


def test_checkout_guards_and_a_refund_in_the_embedded_product(
    tmp_path: Path, stripe_api_base: str
) -> None:
    tiers = tmp_path / "tiers.yaml"
    tiers.write_text(TIERS)
    env = {
        "CRM_BILLING_TIERS_FILE": str(tiers),
        "CRM_INGEST_API_KEYS": SITE_KEY,
        "CRM_INGEST_CORS_ORIGINS": SITE,
        "CRM_BILLING_CHECKOUTS_PER_PROSPECT_PER_HOUR": "2",
        "STRIPE_API_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api_base,
    }
    site = {"Authorization": f"Bearer {SITE_KEY}"}
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    body = {"prospect_id": prospect, "cta_id": GATED}
    with crm(["run", "--data-dir", str(tmp_path / "data")], tmp_path / "run.log", env) as base:

        def checkout(**urls: str) -> httpx.Response:
            return httpx.post(
                f"{base}/v1/checkout", json={**body, **urls}, headers=site, timeout=30
            )

        def allowed() -> bool:
            query = {"prospect_id": prospect, "cta_id": GATED}
            return bool(
                httpx.get(f"{base}/v1/access", params=query, headers=site).json()["allowed"]
            )

        elsewhere = checkout(success_url="https://attacker.example/phish")
        assert elsewhere.status_code == 422
        assert "success_url" in elsewhere.text and SITE in elsewhere.text
        assert checkout(cancel_url="https://attacker.example/").status_code == 422

        first = checkout(success_url=f"{SITE}/welcome?hero=1", cancel_url=f"{SITE}/pricing")
        assert first.status_code == 200, first.text
        assert checkout().status_code == 200
        too_many = checkout()
        assert too_many.status_code == 429
        assert int(too_many.headers["Retry-After"]) >= 1

        started = first.json()
        payload = completed(
            started["intent_id"], started["checkout_session_id"], customer="cus_embedded"
        )
        done = httpx.post(
            f"{base}/v1/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": signature(payload)},
        )
        assert done.json()["outcome"] == "upgraded" and allowed()

        charge = {"id": "ch_1", "object": "charge", "refunded": True, "customer": "cus_embedded"}
        refund = stripe_event("charge.refunded", charge)
        taken = httpx.post(
            f"{base}/v1/stripe/webhook",
            content=refund,
            headers={"Stripe-Signature": signature(refund)},
        )
        assert taken.json()["outcome"] == "downgraded"
        assert not allowed()

        reader = f"v-{uuid.uuid4().hex[:8]}"

        def playbook(**query: str) -> httpx.Response:
            return httpx.get(
                f"{base}/v1/access", params={"prospect_id": reader, **query}, headers=site
            )

        gated = playbook(playbook_id="scaling-playbook").json()
        assert gated["allowed"] is False and gated["required_tier"]["name"] == "Accelerator"
        assert playbook(playbook_id="welcome-playbook").json()["allowed"] is True
        neither, both = playbook(), playbook(playbook_id="scaling-playbook", cta_id=GATED)
        assert neither.status_code == both.status_code == 422
        assert "exactly one of cta_id and playbook_id" in neither.text
        bought = httpx.post(
            f"{base}/v1/checkout",
            json={"prospect_id": reader, "playbook_id": "scaling-playbook"},
            headers=site,
            timeout=30,
        )
        assert bought.status_code == 200, bought.text
        intent = bought.json()["intent_id"]
    with sqlite3.connect(tmp_path / "data" / "billing.db") as db:
        rows = db.execute("SELECT cta_id, playbook_id FROM billing_intents WHERE id = ?", (intent,))
        assert rows.fetchall() == [(None, "scaling-playbook")]
