"""Facts of tiers and upgrades (topic `crm.billing`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Email, Event


class UpgradeIntentRecordedV1(Event):
    """A prospect asked to upgrade to reach a CTA that needs a higher tier."""

    type: Literal["upgrade_intent.recorded.v1"] = "upgrade_intent.recorded.v1"
    current_tier: str
    required_tier: str
    cta_id: str | None = None
    channel: Literal["checkout", "sales"]
    # Added compatibly (optional): set instead of cta_id when a gated playbook needs the tier.
    playbook_id: str | None = None


class CheckoutStartedV1(Event):
    """A Stripe Checkout Session was created for an upgrade."""

    type: Literal["checkout.started.v1"] = "checkout.started.v1"
    checkout_session_id: str
    tier: str


class CheckoutCompletedV1(Event):
    """Stripe reported the checkout completed (signed webhook)."""

    type: Literal["checkout.completed.v1"] = "checkout.completed.v1"
    checkout_session_id: str
    stripe_event_id: str
    tier: str


class TierUpgradedV1(Event):
    """The prospect's tier was raised."""

    type: Literal["tier.upgraded.v1"] = "tier.upgraded.v1"
    old_tier: str
    new_tier: str
    source: Literal["checkout", "manual"]


class TierDowngradedV1(Event):
    """The prospect's tier was lowered because Stripe reported the payment for it refunded, its
    subscription cancelled or the charge disputed."""

    type: Literal["tier.downgraded.v1"] = "tier.downgraded.v1"
    old_tier: str
    new_tier: str
    cause: Literal["refund", "cancellation", "dispute"]
    stripe_event_id: str
    checkout_session_id: str | None = None


class SalesContactRequestedV1(Event):
    """A prospect asked to talk to sales about an upgrade."""

    type: Literal["sales_contact.requested.v1"] = "sales_contact.requested.v1"
    email: Email
    name: str | None = Field(default=None, max_length=300)
    message: str | None = Field(default=None, max_length=5000)
    required_tier: str | None = None
    # Added compatibly (optional): the tier the prospect had when asking, and the CTA they clicked.
    current_tier: str | None = None
    cta_id: str | None = None
