"""The catalogue: one discriminated union of every event, one parser, and each type's topic."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from schemas import alerts, billing, content, journey, planning, topics, web
from schemas.envelope import Event

_BY_TOPIC: dict[str, tuple[type[Event], ...]] = {
    topics.WEB: (
        web.CtaClickedV1,
        web.InquirySubmittedV1,
        web.VisitorIdentifiedV1,
        web.ProspectImportedV1,
    ),
    topics.JOURNEY: (
        journey.ProspectCreatedV1,
        journey.EntryPointCapturedV1,
        journey.PointsAwardedV1,
        journey.StageChangedV1,
        journey.StageSkippedV1,
        journey.ProspectMovedManuallyV1,
        journey.ProspectRescoredV1,
        journey.ProspectEmailLinkedV1,
        journey.ProspectsMergedV1,
    ),
    topics.ALERTS: (
        alerts.AlertRaisedV1,
        alerts.AlertRepeatedV1,
        alerts.AlertEscalatedV1,
        alerts.AlertAcknowledgedV1,
        alerts.AlertActionedV1,
        alerts.AlertExpiredV1,
        alerts.AlertResolvedV1,
        alerts.SalesAlertRaisedV1,
    ),
    topics.CONTENT: (
        content.GatedContentViewedV1,
        content.GatedContentSubmittedV1,
        content.PlaybookCopyGeneratedV1,
        content.PlaybookCopyFallbackUsedV1,
        content.PlaybookMetadataSetV1,
    ),
    topics.BILLING: (
        billing.UpgradeIntentRecordedV1,
        billing.CheckoutStartedV1,
        billing.CheckoutCompletedV1,
        billing.TierUpgradedV1,
        billing.TierDowngradedV1,
        billing.SalesContactRequestedV1,
    ),
    topics.PLANNING: (planning.RoadmapNoteRecordedV1,),
}

EVENT_TYPES: tuple[type[Event], ...] = tuple(c for group in _BY_TOPIC.values() for c in group)


def type_name(cls: type[Event]) -> str:
    default = cls.model_fields["type"].default
    assert isinstance(default, str)
    return default


BY_TYPE: dict[str, type[Event]] = {type_name(c): c for c in EVENT_TYPES}
TOPIC_OF: dict[str, str] = {type_name(c): t for t, group in _BY_TOPIC.items() for c in group}

AnyEvent = Annotated[
    web.CtaClickedV1
    | web.InquirySubmittedV1
    | web.VisitorIdentifiedV1
    | web.ProspectImportedV1
    | journey.ProspectCreatedV1
    | journey.EntryPointCapturedV1
    | journey.PointsAwardedV1
    | journey.StageChangedV1
    | journey.StageSkippedV1
    | journey.ProspectMovedManuallyV1
    | journey.ProspectRescoredV1
    | journey.ProspectEmailLinkedV1
    | journey.ProspectsMergedV1
    | alerts.AlertRaisedV1
    | alerts.AlertRepeatedV1
    | alerts.AlertEscalatedV1
    | alerts.AlertAcknowledgedV1
    | alerts.AlertActionedV1
    | alerts.AlertExpiredV1
    | alerts.AlertResolvedV1
    | alerts.SalesAlertRaisedV1
    | content.GatedContentViewedV1
    | content.GatedContentSubmittedV1
    | content.PlaybookCopyGeneratedV1
    | content.PlaybookCopyFallbackUsedV1
    | content.PlaybookMetadataSetV1
    | billing.UpgradeIntentRecordedV1
    | billing.CheckoutStartedV1
    | billing.CheckoutCompletedV1
    | billing.TierUpgradedV1
    | billing.TierDowngradedV1
    | billing.SalesContactRequestedV1
    | planning.RoadmapNoteRecordedV1,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEvent)

# Upcasters turn an old version's payload into the next one's: {"x.v1": fn -> payload of x.v2}.
# None yet; handlers only ever see the newest version of a type.
UPCASTERS: dict[str, Any] = {}


class InvalidEvent(ValueError):
    """An event that does not match the catalogue; `errors` name each field and the reason."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as [{field, message}], with the union's type tag left out of the path."""
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if not _is_union_label(p)]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = ["type"]
        out.append({"field": ".".join(loc) or "(body)", "message": err["msg"]})
    return out


def _is_union_label(part: int | str) -> bool:
    # Field names are identifiers; the tags pydantic adds to a path for union members
    # (`cta.clicked.v1`, or the producer format's `cta.clicked`) never are.
    return isinstance(part, str) and not part.isidentifier()


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """Parse one event from JSON (bytes or str) or a dict, upcasting old versions."""
    try:
        if isinstance(data, dict):
            data = _upcast(data)
            event = _ADAPTER.validate_python(data)
        else:
            event = _ADAPTER.validate_json(data)
            if event.type in UPCASTERS:
                event = _ADAPTER.validate_python(_upcast(event.model_dump(mode="json")))
            if b"\\u0000" in data if isinstance(data, bytes) else "\\u0000" in data:
                _refuse_nul(json.loads(data))
    except ValidationError as exc:
        raise InvalidEvent(field_errors(exc)) from exc
    assert isinstance(event, Event)
    return event


def _refuse_nul(value: Any, path: tuple[str, ...] = ()) -> None:
    """A text holding U+0000 (NUL) is no event: PostgreSQL cannot store it, so a consumer would
    take part of it and fail on the rest (found by the fault suite). Only looked for when the
    JSON has the escape at all, which a valid producer's never has (ingest refuses controls)."""
    if isinstance(value, str) and "\x00" in value:
        field = ".".join(path) or "(body)"
        raise InvalidEvent([{"field": field, "message": "must not contain U+0000 (NUL)"}])
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, (*path, str(index)))


def _upcast(data: dict[str, Any]) -> dict[str, Any]:
    while isinstance(kind := data.get("type"), str) and kind in UPCASTERS:
        data = UPCASTERS[kind](data)
    return data


def serialize(event: Event) -> bytes:
    """`model_dump_json().encode()`, without its keyword handling and str round trip: the same
    bytes (tests/journey/test_fast_paths.py), for every event published or journaled."""
    return event.__pydantic_serializer__.to_json(event)


def topic_of(event: Event) -> str:
    return TOPIC_OF[event.type]
