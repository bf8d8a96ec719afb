"""Stripe taking a purchase back through `crm-journey serve billing` on Kafka and PostgreSQL: a
full refund, a cancelled subscription and a lost dispute each downgrade the tier once, recorded
with their cause; what does not take the purchase back changes nothing. And a CTA gated only by
what its clicks declare (`cta.required_tier`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.values import Cta
from schemas.web import CtaClickedV1
from tests.billing.service import Service
from tests.processes import poll
from tests.projections.replay_log import publish_kafka
from tests.stripe_signing import completed, signature, stripe_event

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def bought(service: Service) -> tuple[str, str, dict[str, str]]:
    """An Explorer who paid for Accelerator: their id, the intent, Stripe's ids of the purchase."""
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    answer = service.checkout(prospect).json()
    tag = uuid.uuid4().hex[:10]
    ids = {"subscription": f"sub_{tag}", "customer": f"cus_{tag}", "invoice": f"in_{tag}"}
    payload = completed(answer["intent_id"], answer["checkout_session_id"], **ids)
    assert service.webhook(payload, signature(payload)).json()["outcome"] == "upgraded"
    assert service.access(prospect).json()["allowed"] is True
    return prospect, answer["intent_id"], ids


def deliver(
    service: Service, kind: str, obj: Mapping[str, Any], event_id: str | None = None
) -> str:
    payload = stripe_event(kind, obj, event_id)
    answer = service.webhook(payload, signature(payload))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


def tier(service: Service, prospect: str) -> str:
    return str(service.access(prospect).json()["current_tier"]["name"])


def test_a_full_refund_downgrades_once_and_a_partial_one_changes_nothing(service: Service) -> None:
    prospect, intent, ids = bought(service)
    charge = {"id": f"ch_{uuid.uuid4().hex[:10]}", "object": "charge", "customer": ids["customer"]}
    assert deliver(service, "charge.refunded", {**charge, "refunded": False}) == "partial_refund"
    assert tier(service, prospect) == "Accelerator"

    refund_id = f"evt_{uuid.uuid4().hex[:16]}"
    # Matched by the customer Checkout created: a subscription's charge names no intent.
    assert deliver(service, "charge.refunded", {**charge, "refunded": True}, refund_id) == (
        "downgraded"
    )
    denied = service.access(prospect).json()
    assert denied["allowed"] is False and denied["current_tier"]["name"] == "Explorer"
    assert deliver(service, "charge.refunded", {**charge, "refunded": True}, refund_id) == (
        "duplicate"
    )
    assert deliver(service, "charge.refunded", {**charge, "refunded": True}) == (
        "already_downgraded"
    )

    found = poll(lambda: service.events(prospect), lambda es: len(es) >= 5)
    down = [e for e in found if e.type == "tier.downgraded.v1"]
    assert len(down) == 1
    assert (down[0].old_tier, down[0].new_tier, down[0].cause) == (  # type: ignore[attr-defined]
        "Accelerator",
        "Explorer",
        "refund",
    )
    assert down[0].stripe_event_id == refund_id  # type: ignore[attr-defined]
    assert down[0].correlation_id == uuid.UUID(intent)


def test_a_cancelled_subscription_downgrades_with_its_cause(service: Service) -> None:
    prospect, _, ids = bought(service)
    cancelled = {"id": ids["subscription"], "object": "subscription", "status": "canceled"}
    assert deliver(service, "customer.subscription.deleted", cancelled) == "downgraded"
    assert tier(service, prospect) == "Explorer"
    found = poll(
        lambda: service.events(prospect), lambda es: "tier.downgraded.v1" in {e.type for e in es}
    )
    assert [e.cause for e in found if e.type == "tier.downgraded.v1"] == ["cancellation"]  # type: ignore[attr-defined]


def test_a_dispute_downgrades_only_when_lost(service: Service) -> None:
    prospect, intent, ids = bought(service)
    dispute = {"id": f"dp_{uuid.uuid4().hex[:10]}", "object": "dispute", "metadata": {}}
    won = {**dispute, "status": "won", "metadata": {"intent_id": intent}}
    assert deliver(service, "charge.dispute.closed", won) == "dispute_not_lost"
    assert tier(service, prospect) == "Accelerator"
    lost = {**dispute, "status": "lost", "invoice": ids["invoice"]}
    assert deliver(service, "charge.dispute.closed", lost) == "downgraded"
    assert tier(service, prospect) == "Explorer"


def test_a_refund_of_a_purchase_billing_does_not_know_changes_nothing(service: Service) -> None:
    before = service.rows("SELECT count(*) FROM billing_journal")[0][0]
    strange = {"id": "ch_x", "object": "charge", "refunded": True, "customer": "cus_nobody"}
    assert deliver(service, "charge.refunded", strange) == "unknown_purchase"
    assert service.rows("SELECT count(*) FROM billing_journal")[0][0] == before


def test_a_cta_gated_only_by_its_clicks_needs_the_tier_they_declare(service: Service) -> None:
    cta = f"webinar-{uuid.uuid4().hex[:8]}"
    prospect = f"v-{uuid.uuid4().hex[:8]}"
    assert service.access(prospect, cta=cta).json()["allowed"] is True
    click = CtaClickedV1(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        subject_id=prospect,
        cta=Cta(id=cta, stage=3, points=10, required_tier="accelerator"),
    )
    asyncio.run(publish_kafka(service.bootstrap, service.namespace, [click]))
    denied = poll(
        lambda: service.access(prospect, cta=cta).json(), lambda a: a["allowed"] is False, 30
    )
    assert denied["required_tier"]["name"] == "Accelerator"
