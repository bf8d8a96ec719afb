"""Gated playbook rules: the metadata fold, when cached copy is still fresh, whether the model's
quote is one of the candidates, and the copy shown when generation fails."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.content import PlaybookMetadataSetV1

VARIATIONS = uuid.UUID("6a0f3c1e-2b7d-4e59-8c41-9d2e7f3a5b60")
FALLBACK_VARIATION = "fallback"
GENERIC_FALLBACK = (
    "Get the playbook",
    "Leave your email and we will send it to you straight away.",
)


@dataclass(frozen=True)
class Quote:
    text: str
    author: str


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    tagline: str
    domain_tags: tuple[str, ...]
    tone: str
    body: str
    fallback_header: str
    fallback_paragraphs: tuple[str, ...]
    # The metadata event that set this version: cached copy is copy of one version.
    version: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Copy:
    header: str
    paragraphs: tuple[str, ...]
    quote: Quote | None


@dataclass(frozen=True)
class Cached:
    variation_id: str
    copy: Copy
    playbook_version: str
    generated_at: datetime


class QuoteRejected(ValueError):
    """The model's quote is not one of the candidates, word for word, with its author."""


def fold(_current: Playbook | None, event: PlaybookMetadataSetV1) -> Playbook:
    """Each metadata event replaces the whole metadata: the newest one holds."""
    return Playbook(
        id=event.playbook_id,
        title=event.title,
        tagline=event.tagline,
        domain_tags=event.domain_tags,
        tone=event.tone,
        body=event.body,
        fallback_header=event.fallback_header,
        fallback_paragraphs=event.fallback_paragraphs,
        version=str(event.event_id),
        updated_at=event.occurred_at,
        updated_by=event.author,
    )


def replay(events: list[PlaybookMetadataSetV1]) -> Playbook | None:
    state: Playbook | None = None
    for event in events:
        state = fold(state, event)
    return state


def is_fresh(
    cached: Cached | None, playbook: Playbook, *, now: datetime, max_age: timedelta
) -> bool:
    """Copy is served while younger than `max_age` (by when it was generated) and made for the
    playbook's current metadata; a metadata change asks for new copy."""
    return (
        cached is not None
        and cached.playbook_version == playbook.version
        and now - cached.generated_at < max_age
    )


def checked_quote(text: str, author: str, candidates: tuple[Quote, ...]) -> Quote:
    """The candidate the model chose. Surrounding whitespace is forgiven; any other change to
    the words or the author is a rejection, never a correction."""
    chosen = Quote(text.strip(), author.strip())
    if chosen not in candidates:
        raise QuoteRejected(f"the quote {text[:80]!r} ({author[:40]}) is not among the candidates")
    return chosen


def variation_id(playbook_id: str, copy: Copy) -> str:
    """The same copy of the same playbook is the same variation, however often generated."""
    quote = [copy.quote.text, copy.quote.author] if copy.quote else None
    content = json.dumps([playbook_id, copy.header, list(copy.paragraphs), quote])
    return str(uuid.uuid5(VARIATIONS, content))


def fallback_copy(playbook: Playbook) -> Copy:
    """The playbook's own static copy, else a generic one made of its title and tagline."""
    if playbook.fallback_header and playbook.fallback_paragraphs:
        return Copy(playbook.fallback_header, playbook.fallback_paragraphs, None)
    return Copy(
        playbook.title or GENERIC_FALLBACK[0], (playbook.tagline or GENERIC_FALLBACK[1],), None
    )
