"""Facts of gated playbook content (topic `crm.content`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.envelope import Event


class GatedContentViewedV1(Event):
    """A gated playbook was shown to a prospect."""

    type: Literal["gated_content.viewed.v1"] = "gated_content.viewed.v1"
    playbook_id: str = Field(min_length=1)
    variation_id: str = Field(min_length=1)
    fallback: bool = False


class GatedContentSubmittedV1(Event):
    """A prospect submitted the gate form (a conversion)."""

    type: Literal["gated_content.submitted.v1"] = "gated_content.submitted.v1"
    playbook_id: str = Field(min_length=1)
    variation_id: str = Field(min_length=1)
    seconds_to_submit: float | None = Field(default=None, ge=0)
    name: str | None = Field(default=None, max_length=300)
    fields: dict[str, str] = Field(default_factory=dict, description="the form's other fields")


class PlaybookCopyGeneratedV1(Event):
    """Copy for a playbook was generated; each distinct copy is a variation."""

    type: Literal["playbook_copy.generated.v1"] = "playbook_copy.generated.v1"
    playbook_id: str = Field(min_length=1)
    variation_id: str = Field(min_length=1)
    header: str
    paragraphs: tuple[str, ...]
    quote: str
    model: str
    quote_author: str = ""


class PlaybookCopyFallbackUsedV1(Event):
    """Generation timed out or failed; static copy was shown instead."""

    type: Literal["playbook_copy.fallback_used.v1"] = "playbook_copy.fallback_used.v1"
    playbook_id: str = Field(min_length=1)
    reason: Literal[
        "timeout",
        "error",
        "overloaded",
        "refusal",
        "invalid_output",
        "quote_rejected",
        "no_api_key",
    ]
    detail: str = ""


class PlaybookMetadataSetV1(Event):
    """A consultant set a gated playbook's metadata; the newest one holds. Keyed by the
    playbook id (`subject_id`), so one playbook's changes stay in order."""

    type: Literal["playbook.metadata_set.v1"] = "playbook.metadata_set.v1"
    playbook_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    tagline: str = Field(min_length=1)
    domain_tags: tuple[str, ...] = Field(min_length=1, max_length=10)
    tone: str = Field(min_length=1)
    body: str = ""
    fallback_header: str = ""
    fallback_paragraphs: tuple[str, ...] = ()
    author: str = ""
