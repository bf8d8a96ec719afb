"""How a Segment message (the HTTP Tracking API's track, identify, page, screen, group, alias)
becomes a producer event, or is skipped; the table is in docs/decisions.md ("Segment")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schemas.catalogue import field_errors
from schemas.producer import SENT_EVENT, SentCtaClick, SentIdentify, SentInquiry

# messageId -> event id: the same messageId always names the same event.
MESSAGE_IDS = uuid.UUID("5e6d2b1c-3f0a-4c8e-9a57-1d2c3b4a5f60")
MessageType = Literal["track", "identify", "page", "screen", "group", "alias"]
Text = Annotated[str, Field(max_length=2000)]
# Producer field -> the Segment field it came from, so an error names what the client sent.
SEGMENT_FIELDS = {
    "event_id": "messageId",
    "occurred_at": "timestamp",
    "visitor_id": "anonymousId",
    "cta": "properties",
    "cta.id": "properties.cta_id",
    "cta.label": "properties.label",
    "cta.stage": "properties.stage",
    "cta.points": "properties.points",
    "cta.required_tier": "properties.required_tier",
    "form_id": "properties.form_id",
    "page": "context.page.url",
    "utm.source": "context.campaign.source",
    "utm.medium": "context.campaign.medium",
    "utm.campaign": "context.campaign.name",
}

Sent = SentCtaClick | SentInquiry | SentIdentify


@dataclass(frozen=True)
class EventNames:
    """The `track` event names that mean a CTA click and an inquiry form."""

    click: str = "CTA Clicked"
    form: str = "Form Submitted"


@dataclass(frozen=True)
class Skipped:
    """A valid message this product has no event for; `reason` is a metric label."""

    reason: str


class Invalid(ValueError):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class SegmentCampaign(_Loose):
    name: Text | None = None
    source: Text | None = None
    medium: Text | None = None


class SegmentPage(_Loose):
    url: Text | None = None


class SegmentContext(_Loose):
    campaign: SegmentCampaign = SegmentCampaign()
    page: SegmentPage = SegmentPage()
    traits: dict[str, Any] = {}


class SegmentMessage(_Loose):
    type: MessageType
    message_id: Annotated[str | None, Field(alias="messageId", min_length=1, max_length=200)] = None
    anonymous_id: Annotated[str | None, Field(alias="anonymousId", max_length=200)] = None
    user_id: Annotated[str | None, Field(alias="userId", max_length=200)] = None
    timestamp: AwareDatetime | None = None
    original_timestamp: AwareDatetime | None = Field(default=None, alias="originalTimestamp")
    sent_at: AwareDatetime | None = Field(default=None, alias="sentAt")
    event: Text | None = None
    properties: dict[str, Any] = {}
    traits: dict[str, Any] = {}
    context: SegmentContext = SegmentContext()


def occurred_at(
    message: SegmentMessage, batch_sent_at: datetime | None, received_at: datetime
) -> datetime:
    """Segment's clock-skew correction: a client stamps the event (`timestamp`, or
    `originalTimestamp`) and the send (`sentAt`) with its own clock, so the time between them
    is trusted and placed before `receivedAt`: receivedAt - (sentAt - timestamp). Without
    `sentAt` the client's timestamp stands; without a timestamp, the time of receipt."""
    stamped = message.original_timestamp or message.timestamp
    sent_at = message.sent_at or batch_sent_at
    if stamped is None:
        return received_at
    if sent_at is None:
        return stamped
    return received_at - (sent_at - stamped)


def translate(
    item: object, *, names: EventNames, batch_sent_at: datetime | None, received_at: datetime
) -> Sent | Skipped:
    """The producer event a Segment message stands for, or why it stands for none; `Invalid`
    naming the Segment fields that are wrong."""
    try:
        message = SegmentMessage.model_validate(item)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from exc
    visitor = message.anonymous_id or message.user_id
    if message.type == "alias":
        return Skipped("alias")
    if not visitor:
        raise Invalid([{"field": "anonymousId", "message": "anonymousId or userId is required"}])
    try:
        when = occurred_at(message, batch_sent_at, received_at)
    except OverflowError as exc:
        too_far = "timestamp and sentAt are too far apart to place the event in time"
        raise Invalid([{"field": "timestamp", "message": too_far}]) from exc
    common: dict[str, Any] = {
        "visitor_id": visitor,
        "occurred_at": when,
        "event_id": uuid.uuid5(MESSAGE_IDS, message.message_id) if message.message_id else None,
    }
    email = message.traits.get("email") or message.context.traits.get("email")
    if message.type == "identify":
        if email is None:
            return Skipped("identify_without_email")
        return _sent({**common, "type": "visitor.identified", "email": email}, "traits")
    if message.type != "track" or message.event not in (names.click, names.form):
        return Skipped("track_other" if message.type == "track" else message.type)
    props = message.properties
    campaign = message.context.campaign
    visit = {
        "page": message.context.page.url,
        "utm": {"source": campaign.source, "medium": campaign.medium, "campaign": campaign.name},
    }
    if message.event == names.form:
        form = {"email": props.get("email", email), "form_id": props.get("form_id", names.form)}
        return _sent({**common, **visit, **form, "type": "inquiry.submitted"}, "properties")
    cta = {
        "id": props.get("cta_id"),
        "label": props.get("label", ""),
        "stage": props.get("stage"),
        "points": props.get("points"),
        "required_tier": props.get("required_tier"),
    }
    click = {**common, **visit, "type": "cta.clicked", "email": props.get("email", email)}
    return _sent({**click, "cta": cta}, "properties")


def _sent(producer: dict[str, Any], email_from: str) -> Sent:
    try:
        return SENT_EVENT.validate_python(producer)
    except ValidationError as exc:
        fields = {**SEGMENT_FIELDS, "email": f"{email_from}.email"}
        raise Invalid(
            [
                {"field": fields.get(e["field"], e["field"]), "message": e["message"]}
                for e in field_errors(exc)
            ]
        ) from exc
