"""Stripe, behind the two things billing asks of it: a Checkout Session, and a verified event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import stripe

TOLERANCE_S = 300


class PaymentFailed(Exception):
    """Stripe could not be reached, or refused the request."""


class BadSignature(ValueError):
    """A webhook body whose `Stripe-Signature` is missing, wrong or too old, or not an event."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    object: dict[str, Any]


class Payments(Protocol):
    async def checkout(
        self, *, price_id: str, reference: str, success_url: str, cancel_url: str
    ) -> CheckoutSession: ...

    def verify(self, payload: bytes, signature: str | None) -> StripeEvent: ...


class StripePayments:
    def __init__(self, api_key: str, webhook_secret: str, api_base: str):
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base}, max_network_retries=0
        )
        self._secret, self._configured = webhook_secret, bool(api_key)

    async def checkout(
        self, *, price_id: str, reference: str, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        if not self._configured:
            raise PaymentFailed("STRIPE_API_KEY is not set")
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params={
                    "mode": "subscription",
                    "line_items": [{"price": price_id, "quantity": 1}],
                    "client_reference_id": reference,
                    "metadata": {"intent_id": reference},
                    # So the subscription, and its cancellation, name the purchase too.
                    "subscription_data": {"metadata": {"intent_id": reference}},
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                }
            )
        except stripe.StripeError as exc:
            # The message names the problem, never the key.
            raise PaymentFailed(exc.user_message or type(exc).__name__) from exc
        if not session.url:
            raise PaymentFailed(f"Checkout Session {session.id} has no URL")
        return CheckoutSession(session.id, session.url)

    def verify(self, payload: bytes, signature: str | None) -> StripeEvent:
        if not self._secret:
            raise BadSignature("no webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
        if not signature:
            raise BadSignature("the Stripe-Signature header is missing")
        try:
            event = stripe.Webhook.construct_event(
                payload.decode("utf-8"), signature, self._secret, tolerance=TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(f"the Stripe-Signature does not verify: {exc.user_message}") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadSignature("the signed body is not a Stripe event") from exc
        body = event.to_dict()
        data = body.get("data")
        found = data.get("object") if isinstance(data, dict) else None
        if not isinstance(body.get("id"), str) or not isinstance(found, dict):
            raise BadSignature("the signed body is not a Stripe event (id, data.object)")
        return StripeEvent(body["id"], str(body.get("type")), found)
