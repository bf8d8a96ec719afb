from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from services.billing.domain import Allowed, Denied, Tier
from services.billing.handlers import CheckoutFailed, NothingToBuy, Started
from services.billing.payments import BadSignature
from services.common.auth import ProducerKey
from services.common.openapi import json_body

# Printable, no surrounding space: it becomes the events' key and `subject_id`.
PRINTABLE = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
SLUG = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
URL = r"^https?://[^\x00-\x20\x7f]+$"
ProspectId = Annotated[
    str, Query(min_length=1, max_length=200, pattern=PRINTABLE, description="the visitor id")
]
CtaId = Annotated[str, Query(min_length=1, max_length=200, pattern=SLUG, description="a slug")]

_KEY: dict[int | str, dict[str, Any]] = {
    401: {"description": "no producer key, or not a valid one"}
}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"description": "invalid input, per field"}}


class Commands(Protocol):
    async def access(self, prospect_id: str, cta_id: str) -> Allowed | Denied: ...
    async def checkout(
        self, prospect_id: str, cta_id: str, success_url: str, cancel_url: str
    ) -> Started: ...
    async def webhook(self, payload: bytes, signature: str | None) -> str: ...


class TierView(BaseModel):
    name: str
    features: list[str]


class Action(BaseModel):
    kind: Literal["upgrade", "sales"]
    label: str
    method: Literal["POST"] = "POST"
    href: str = "/v1/checkout"


class AccessView(BaseModel):
    allowed: bool
    current_tier: TierView
    required_tier: TierView | None = Field(description="when not allowed: the tier the CTA needs")
    actions: list[Action] = Field(description="when not allowed: what the modal offers")


class CheckoutRequest(BaseModel):
    prospect_id: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    cta_id: str = Field(min_length=1, max_length=200, pattern=SLUG)
    success_url: str | None = Field(default=None, max_length=2000, pattern=URL)
    cancel_url: str | None = Field(default=None, max_length=2000, pattern=URL)


class CheckoutView(BaseModel):
    url: str = Field(description="Stripe Checkout's page: send the prospect there")
    intent_id: str
    checkout_session_id: str


class WebhookAnswer(BaseModel):
    received: bool
    outcome: str


def _tier(tier: Tier) -> TierView:
    return TierView(name=tier.name, features=list(tier.features))


def router(billing: Commands, success_url: str, cancel_url: str) -> APIRouter:
    api = APIRouter(tags=["billing"])

    @api.get("/v1/access", responses={**_KEY, **_INVALID})
    async def check_access(prospect_id: ProspectId, cta_id: CtaId, _: ProducerKey) -> AccessView:
        """May this prospect follow this CTA? If not: the upgrade modal's data (their tier, the
        tier the CTA needs, the features of both, the upgrade action). A CTA the tier ladder
        does not gate is allowed."""
        decided = await billing.access(prospect_id, cta_id)
        if isinstance(decided, Allowed):
            return AccessView(
                allowed=True, current_tier=_tier(decided.current), required_tier=None, actions=[]
            )
        return AccessView(
            allowed=False,
            current_tier=_tier(decided.current),
            required_tier=_tier(decided.required),
            actions=[
                Action(kind="upgrade", label=f"Upgrade to {decided.required.name}"),
                Action(kind="sales", label="Talk to Sales", href="/v1/sales-contact"),
            ],
        )

    @api.post(
        "/v1/checkout",
        responses={
            **_KEY,
            409: {"description": "the prospect already has the tier this CTA needs"},
            **_INVALID,
            502: {"description": "Stripe refused or could not be reached; the intent is kept"},
        },
    )
    async def start_checkout(body: CheckoutRequest, _: ProducerKey) -> CheckoutView:
        """Record the upgrade intent (`upgrade_intent.recorded.v1`), then create a Stripe
        Checkout Session for the tier the CTA needs, whose `client_reference_id` is the intent
        id; record `checkout.started.v1`."""
        try:
            started = await billing.checkout(
                body.prospect_id,
                body.cta_id,
                body.success_url or success_url,
                body.cancel_url or cancel_url,
            )
        except NothingToBuy as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"prospect {body.prospect_id!r} may already follow CTA {body.cta_id!r}",
            ) from exc
        except CheckoutFailed as exc:
            raise HTTPException(
                status.HTTP_502_BAD_GATEWAY,
                f"Stripe could not start the checkout ({exc.reason}); "
                f"upgrade intent {exc.intent_id} is kept",
            ) from exc
        return CheckoutView(
            url=started.session.url,
            intent_id=str(started.intent_id),
            checkout_session_id=started.session.id,
        )

    @api.post(
        "/v1/stripe/webhook",
        responses={400: {"description": "the Stripe-Signature is missing, wrong or stale"}},
        openapi_extra=json_body(
            {"type": "object", "description": "a Stripe event"},
            "the event exactly as Stripe signed it",
        ),
    )
    async def stripe_webhook(
        request: Request,
        stripe_signature: Annotated[str | None, Header(max_length=2000)] = None,
    ) -> WebhookAnswer:
        """Stripe's events, authenticated by their signature (`STRIPE_WEBHOOK_SECRET`, five
        minutes' tolerance), each processed once. A completed checkout records
        `checkout.completed.v1` and `tier.upgraded.v1`."""
        try:
            outcome = await billing.webhook(await request.body(), stripe_signature)
        except BadSignature as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        return WebhookAnswer(received=True, outcome=outcome)

    return api
