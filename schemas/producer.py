"""What websites send to `POST /v1/events` (the producer wire format), and how it becomes an event.

The prospect id is the website's visitor id. A client-supplied `event_id` makes retries idempotent:
the same id reaches consumers, which drop what they have already processed. Without one, ingest
assigns a fresh id. `occurred_at` defaults to the moment ingest received the event.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from schemas.envelope import Email, Event, Frozen, SubjectId
from schemas.values import Cta, Utm
from schemas.web import CtaClickedV1, InquirySubmittedV1, VisitorIdentifiedV1

MAX_FUTURE_SKEW = timedelta(days=1)


class _Sent(Frozen):
    event_id: uuid.UUID | None = Field(default=None, description="client uuid; retries reuse it")
    occurred_at: AwareDatetime | None = None
    visitor_id: SubjectId

    def envelope(self, received_at: datetime) -> dict[str, object]:
        occurred = self.occurred_at or received_at
        if occurred - received_at > MAX_FUTURE_SKEW:
            raise ValueError("occurred_at is more than a day in the future")
        return {
            "event_id": self.event_id or uuid.uuid4(),
            "occurred_at": occurred,
            "subject_id": self.visitor_id,
        }


class SentCtaClick(_Sent):
    """A CTA click, as a website sends it."""

    type: Literal["cta.clicked"]
    email: Email | None = None
    cta: Cta
    page: str | None = Field(default=None, max_length=2000)
    utm: Utm = Utm()

    def to_event(self, received_at: datetime) -> Event:
        return CtaClickedV1(
            **self.envelope(received_at),
            email=self.email,
            cta=self.cta,
            page=self.page,
            utm=self.utm,
        )


class SentInquiry(_Sent):
    """An inquiry-form submission, as a website sends it."""

    type: Literal["inquiry.submitted"]
    email: Email
    form_id: str = Field(min_length=1, max_length=200)
    page: str | None = Field(default=None, max_length=2000)
    utm: Utm = Utm()

    def to_event(self, received_at: datetime) -> Event:
        return InquirySubmittedV1(
            **self.envelope(received_at),
            email=self.email,
            form_id=self.form_id,
            page=self.page,
            utm=self.utm,
        )


class SentIdentify(_Sent):
    """The website learnt a visitor's email."""

    type: Literal["visitor.identified"]
    email: Email

    def to_event(self, received_at: datetime) -> Event:
        return VisitorIdentifiedV1(**self.envelope(received_at), email=self.email)


SentEvent = Annotated[SentCtaClick | SentInquiry | SentIdentify, Field(discriminator="type")]
SENT_EVENT: TypeAdapter[SentCtaClick | SentInquiry | SentIdentify] = TypeAdapter(SentEvent)


class SentBatch(Frozen):
    """A batch: `{"events": [...]}`; each item is validated on its own."""

    events: list[dict[str, object]] = Field(min_length=1, max_length=1000)
