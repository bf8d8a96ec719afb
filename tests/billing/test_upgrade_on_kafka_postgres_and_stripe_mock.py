"""An Explorer upgrades to Accelerator through `crm-journey serve billing` on Kafka and
PostgreSQL, with a real Checkout Session from stripe-mock and webhooks signed as Stripe signs."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.billing.service import GATED, Service
from tests.processes import poll
from tests.stripe_signing import completed, signature

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def recorded(service: Service) -> tuple[int, int]:
    """Rows in the journal and in the processed Stripe events."""
    journal = service.rows("SELECT count(*) FROM billing_journal")[0][0]
    stripe_events = service.rows("SELECT count(*) FROM billing_stripe_events")[0][0]
    return journal, stripe_events


def test_an_explorer_pays_through_checkout_and_the_signed_webhook_opens_the_cta_once(
    service: Service,
) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    denied = service.access(prospect)
    assert denied.status_code == 200, denied.text
    modal = denied.json()
    assert modal["allowed"] is False
    assert modal["current_tier"]["name"] == "Explorer"
    assert modal["required_tier"]["name"] == "Accelerator"
    assert "All gated playbooks" in modal["required_tier"]["features"]
    assert modal["actions"][0]["label"] == "Upgrade to Accelerator"

    started = service.checkout(prospect)
    assert started.status_code == 200, started.text
    answer = started.json()
    # stripe-mock's session: a fresh cs_test_ id per request, its fixture Checkout URL.
    assert answer["checkout_session_id"].startswith("cs_test_")
    assert answer["url"].startswith("https://checkout.stripe.com/")
    intent = answer["intent_id"]
    assert service.rows(
        f"SELECT checkout_session_id FROM billing_intents WHERE id = '{intent}'"
    ) == [(answer["checkout_session_id"],)]

    payload = completed(intent, answer["checkout_session_id"], event_id="evt_" + intent[:8])
    delivered = service.webhook(payload, signature(payload))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["outcome"] == "upgraded"
    opened = service.access(prospect).json()
    assert opened["allowed"] is True and opened["current_tier"]["name"] == "Accelerator"

    before = recorded(service)
    again = service.webhook(payload, signature(payload))
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert recorded(service) == before

    found = poll(lambda: service.events(prospect), lambda es: len(es) >= 4)
    assert [e.type for e in found] == [
        "upgrade_intent.recorded.v1",
        "checkout.started.v1",
        "checkout.completed.v1",
        "tier.upgraded.v1",
    ]
    upgraded = found[3]
    assert (upgraded.old_tier, upgraded.new_tier) == ("Explorer", "Accelerator")  # type: ignore[attr-defined]
    assert found[0].event_id == uuid.UUID(intent)

    # A paid-up prospect has nothing to buy for this CTA.
    assert service.checkout(prospect).status_code == 409


def test_tampered_unsigned_and_stale_webhooks_are_refused_and_change_nothing(
    service: Service,
) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    answer = service.checkout(prospect).json()
    payload = completed(answer["intent_id"], answer["checkout_session_id"])
    before = recorded(service)
    tampered = payload.replace(answer["intent_id"], str(uuid.uuid4()))
    stale = signature(payload, at=int(time.time()) - 301)
    for body, sig in [
        (tampered, signature(payload)),
        (payload, None),
        (payload, stale),
        (payload, signature(payload, secret="whsec_someone_else")),
        ("not json", signature("not json")),
    ]:
        refused = service.webhook(body, sig)
        assert refused.status_code == 400, (sig, refused.text)
        assert (
            "signature" in refused.json()["detail"].lower() or "event" in refused.json()["detail"]
        )
    assert recorded(service) == before
    assert service.access(prospect).json()["allowed"] is False


def test_bad_parameters_are_422_and_an_ungated_cta_is_allowed(service: Service) -> None:
    assert service.access("v-1", cta="newsletter").json()["allowed"] is True
    bad = service.access("v-1", cta="has space")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cta_id"
    assert service.checkout("", GATED).status_code == 422
    assert httpx.get(f"{service.base}/v1/access", params={"cta_id": GATED}).status_code in (
        401,
        422,
    )


def test_a_stripe_failure_is_a_502_naming_the_kept_intent(stripe_down: Service) -> None:
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    failed = stripe_down.checkout(prospect)
    assert failed.status_code == 502, failed.text
    detail = failed.json()["detail"]
    assert "Stripe" in detail and "is kept" in detail
    kept = stripe_down.rows("SELECT id, prospect_id, checkout_session_id FROM billing_intents")
    assert len(kept) == 1 and kept[0][1:] == (prospect, None)
    assert kept[0][0] in detail
    found = poll(lambda: stripe_down.events(prospect), lambda es: len(es) >= 1)
    assert [e.type for e in found] == ["upgrade_intent.recorded.v1"]
    assert "sk_test_123" not in stripe_down.log.read_text()
