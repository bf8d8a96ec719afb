from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from services.billing.domain import Allowed, Denied, Gated, Tier
from services.billing.handlers import CheckoutFailed, NothingToBuy, Started
from services.billing.payments import BadSignature
from services.common.auth import ProducerKey
from services.common.limits import KeyLimits
from services.common.openapi import json_body

# Printable, no surrounding space: it becomes the events' key and `subject_id`.
PRINTABLE = r"^[^\x00-\x20\x7f](?:[^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
SLUG = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
URL = r"^https?://[^\x00-\x20\x7f]+$"
ProspectId = Annotated[
    str, Query(min_length=1, max_length=200, pattern=PRINTABLE, description="the visitor id")
]
CtaId = Annotated[
    str | None, Query(min_length=1, max_length=200, pattern=SLUG, description="a CTA's id")
]
PlaybookId = Annotated[
    str | None,
    Query(min_length=1, max_length=200, pattern=SLUG, description="a gated playbook's id"),
]

_KEY: dict[int | str, dict[str, Any]] = {
    401: {"description": "no producer key, or not a valid one"}
}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"description": "invalid input, per field"}}


def gated(cta_id: str | None, playbook_id: str | None, where: str) -> Gated:
    """The CTA or playbook asked about; naming both or neither is a 422."""
    try:
        return Gated(cta_id, playbook_id)
    except ValueError:
        message = "give exactly one of cta_id and playbook_id"
        raise RequestValidationError(
            [{"loc": (where, "cta_id"), "msg": message, "type": "value_error"}]
        ) from None


class Commands(Protocol):
    async def access(self, prospect_id: str, gated: Gated) -> Allowed | Denied: ...
    async def checkout(
        self, prospect_id: str, gated: Gated, success_url: str, cancel_url: str
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
    cta_id: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=SLUG, description="or playbook_id"
    )
    playbook_id: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=SLUG, description="or cta_id"
    )
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


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class Returns:
    """Where Checkout may send the prospect back: the configured URLs, and a URL the request
    gives only on a website origin (None: any, when the websites are not listed)."""

    success_url: str
    cancel_url: str
    origins: frozenset[str] | None

    def check(self, field: str, url: str | None) -> None:
        if url is None or self.origins is None or origin(url) in self.origins:
            return
        allowed = ", ".join(sorted(self.origins))
        message = f"{field} must be on one of the website origins ({allowed})"
        raise RequestValidationError(
            [{"loc": ("body", field), "msg": message, "type": "value_error"}]
        )


def router(billing: Commands, returns: Returns, checkouts: KeyLimits) -> APIRouter:
    api = APIRouter(tags=["billing"])

    @api.get("/v1/access", responses={**_KEY, **_INVALID})
    async def check_access(
        prospect_id: ProspectId,
        _: ProducerKey,
        cta_id: CtaId = None,
        playbook_id: PlaybookId = None,
    ) -> AccessView:
        """May this prospect follow this CTA (`cta_id`) or open this playbook (`playbook_id`)?
        If not: the upgrade modal's data (their tier, the tier needed, the features of both, the
        upgrade action). What neither the tiers file nor a CTA's clicks gate is allowed."""
        decided = await billing.access(prospect_id, gated(cta_id, playbook_id, "query"))
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
            409: {"description": "the prospect already has the tier this CTA or playbook needs"},
            **_INVALID,
            429: {"description": "this prospect started too many checkouts; see Retry-After"},
            502: {"description": "Stripe refused or could not be reached; the intent is kept"},
        },
    )
    async def start_checkout(body: CheckoutRequest, _: ProducerKey) -> CheckoutView:
        """Record the upgrade intent (`upgrade_intent.recorded.v1`), then create a Stripe
        Checkout Session for the tier the CTA needs, whose `client_reference_id` is the intent
        id; record `checkout.started.v1`. A success or cancel URL given must be on a website
        origin; each prospect may start a few checkouts an hour."""
        wanted = gated(body.cta_id, body.playbook_id, "body")
        returns.check("success_url", body.success_url)
        returns.check("cancel_url", body.cancel_url)
        if wait := checkouts.take(body.prospect_id, 1):
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"prospect {body.prospect_id!r} started too many checkouts; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        try:
            started = await billing.checkout(
                body.prospect_id,
                wanted,
                body.success_url or returns.success_url,
                body.cancel_url or returns.cancel_url,
            )
        except NothingToBuy as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"prospect {body.prospect_id!r} may already open {wanted}",
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
