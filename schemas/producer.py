"""What websites send to `POST /v1/events` (the producer wire format), and how it becomes an event.

The prospect id is the website's visitor id. A client-supplied `event_id` makes retries idempotent:
the same id reaches consumers, which drop what they have already processed. Without one, ingest
assigns a fresh id. `occurred_at` defaults to the moment ingest received the event.

This format is stricter than the events it becomes, which must keep reading what is already in
the log: stage and points are JSON integers (not `"3"` nor `true`), `occurred_at` is not before
EARLIEST_OCCURRED_AT (a website clock at zero), and no text carries control characters or
bidirectional overrides, which would hide or reorder what a consultant reads on a page.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, Strict, TypeAdapter

from schemas.envelope import BasePoints, Email, Event, Frozen, Stage, SubjectId
from schemas.values import Cta, Utm
from schemas.web import CtaClickedV1, InquirySubmittedV1, VisitorIdentifiedV1

MAX_FUTURE_SKEW = timedelta(days=1)
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=UTC)
# C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
HIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(text: str | None) -> str | None:
    if text is not None and (found := HIDDEN_CHARACTERS.search(text)):
        raise ValueError(
            f"must not contain control or bidirectional formatting characters "
            f"(found U+{ord(found.group()):04X})"
        )
    return text


def _not_too_early(at: datetime) -> datetime:
    if at < EARLIEST_OCCURRED_AT:
        raise ValueError(f"must not be before {EARLIEST_OCCURRED_AT.isoformat()}")
    return at


Shown = AfterValidator(_shown)
OccurredAt = Annotated[AwareDatetime, AfterValidator(_not_too_early)]


# SentCta and SentUtm subclass the event's Cta and Utm, so `to_event` hands the validated values
# over as they are instead of dumping and validating them again (5 of the 9 µs it took per
# event); the event serializes them as a Cta and a Utm: the same bytes, and the same event
# once read back (tests/contract/test_producer_input.py).
class SentCta(Cta):
    """A CTA as a website describes it: integers as integers, text without hidden characters."""

    id: Annotated[str, Field(min_length=1, max_length=200), Shown]
    label: Annotated[str, Field(max_length=500), Shown] = ""
    stage: Annotated[Stage, Strict()]
    points: Annotated[BasePoints, Strict()]
    required_tier: Annotated[str | None, Field(max_length=100), Shown] = None


class SentUtm(Utm):
    """UTM attribution as a website sends it; text without hidden characters."""

    source: Annotated[str | None, Field(max_length=200), Shown] = None
    medium: Annotated[str | None, Field(max_length=200), Shown] = None
    campaign: Annotated[str | None, Field(max_length=200), Shown] = None


Page = Annotated[str | None, Field(max_length=2000), Shown]


class _Sent(Frozen):
    event_id: uuid.UUID | None = Field(default=None, description="client uuid; retries reuse it")
    occurred_at: OccurredAt | None = Field(
        default=None,
        description=f"not before {EARLIEST_OCCURRED_AT.date()}, nor a day after receipt",
    )
    visitor_id: Annotated[SubjectId, Shown]

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
    email: Annotated[Email | None, Shown] = None
    cta: SentCta
    page: Page = None
    utm: SentUtm = SentUtm()

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
    email: Annotated[Email, Shown]
    form_id: Annotated[str, Field(min_length=1, max_length=200), Shown]
    page: Page = None
    utm: SentUtm = SentUtm()

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
    email: Annotated[Email, Shown]

    def to_event(self, received_at: datetime) -> Event:
        return VisitorIdentifiedV1(**self.envelope(received_at), email=self.email)


SentEvent = Annotated[SentCtaClick | SentInquiry | SentIdentify, Field(discriminator="type")]
SENT_EVENT: TypeAdapter[SentCtaClick | SentInquiry | SentIdentify] = TypeAdapter(SentEvent)


class ValidBatch(Frozen):
    """A batch whose every event is valid and nothing else is in the body: ingest validates it
    straight from its bytes, in one call, before it falls back to item by item."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    events: list[SentEvent] = Field(min_length=1, max_length=1000)


VALID_BATCH: TypeAdapter[ValidBatch] = TypeAdapter(ValidBatch)


class SentBatch(Frozen):
    """A batch: `{"events": [...]}`; each item is validated on its own."""

    events: list[dict[str, object]] = Field(min_length=1, max_length=1000)
