from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, Field

from schemas.envelope import Email
from services.billing.api import PRINTABLE, SLUG
from services.billing.sales import ContactAsked, RequestReused, SalesDesk
from services.common.auth import ProducerKey
from services.common.limits import KeyLimits

_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no producer key, or not a valid one"},
    409: {"description": "the Idempotency-Key was already used for another request"},
    422: {"description": "invalid input, per field; nothing is recorded"},
    429: {"description": "this prospect asked too often; see Retry-After"},
}


class SalesContactRequest(BaseModel):
    prospect_id: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    email: Email
    name: str | None = Field(default=None, max_length=300)
    message: str | None = Field(default=None, max_length=5000)
    cta_id: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=SLUG, description="the CTA clicked"
    )


class ContactForm(BaseModel):
    email: str
    name: str | None
    message: str = Field(description="as given, else one naming the tiers")
    current_tier: str
    requested_tier: str | None = Field(description="None when the prospect has the top tier")


class SalesContactView(BaseModel):
    request_id: str
    form: ContactForm


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def router(desk: SalesDesk, limits: KeyLimits) -> APIRouter:
    api = APIRouter(tags=["billing"])

    @api.post("/v1/sales-contact", status_code=status.HTTP_201_CREATED, responses=_ANSWERS)
    async def request_sales_contact(
        body: SalesContactRequest,
        _: ProducerKey,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
    ) -> SalesContactView:
        """A prospect asks to talk to sales: records `sales_contact.requested.v1` with the tier
        they have and the tier they ask about (the one the CTA needs, else the next one up).
        Retrying with the same Idempotency-Key answers the same request, recorded once. Each
        request raises a consultant alert, so a prospect may ask a few times an hour."""
        if wait := limits.take(body.prospect_id, 1):
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"prospect {body.prospect_id!r} asked too often; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        asked = ContactAsked(
            body.prospect_id,
            body.email,
            _text(body.name),
            _text(body.message),
            body.cta_id,
            idempotency_key,
        )
        try:
            done = await desk.request(asked)
        except RequestReused as exc:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"Idempotency-Key {idempotency_key!r} was already used for another request",
            ) from exc
        event = done.event
        return SalesContactView(
            request_id=str(event.event_id),
            form=ContactForm(
                email=event.email,
                name=event.name,
                message=done.message,
                current_tier=event.current_tier or "",
                requested_tier=event.required_tier,
            ),
        )

    return api
