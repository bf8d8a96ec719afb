from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.content import GatedContentSubmittedV1
from schemas.web import InquirySubmittedV1
from services.common.idempotency import record_command, seen_command
from services.common.journal import Appended, append_for_relay, lock_journal
from services.common.outbox import Relay
from services.content import metrics, store

FORM_PREFIX = "gate:"


class NotShown(LookupError):
    """The visitor was never shown this playbook's gate (or not the variation named)."""


@dataclass(frozen=True)
class Submit:
    playbook_id: str
    visitor_id: str
    email: str
    name: str | None = None
    variation_id: str | None = None
    page: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    # With an Idempotency-Key: the submission's id, and the fingerprint of what was sent.
    command_id: uuid.UUID | None = None
    fingerprint: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class Submissions:
    """A gate form submitted: a conversion of the variation the visitor was shown
    (`gated_content.submitted.v1` on `crm.content`) and an inquiry (`inquiry.submitted.v1` on
    `crm.web`), so the journey captures the form as an entry point and learns the email. Both
    are journaled in one transaction; the relay publishes each to its topic."""

    def __init__(
        self, engine: AsyncEngine, relay: Relay | None, clock: Callable[[], datetime] = _now
    ):
        self.engine, self.relay, self.clock = engine, relay, clock
        self._writing = asyncio.Lock()

    async def submit(self, command: Submit) -> GatedContentSubmittedV1 | None:
        """None for an unknown playbook; raises NotShown, and KeyReused for an Idempotency-Key
        used before with another body. The same body under the same key is recorded once and
        answered alike."""
        now = self.clock()
        appended: Appended | None
        async with self._writing, self.engine.begin() as conn:
            await lock_journal(conn, store.journal)
            if await store.playbook(conn, command.playbook_id) is None:
                return None
            view = await store.view_of(
                conn, command.playbook_id, command.visitor_id, command.variation_id
            )
            if view is None:
                raise NotShown(command.playbook_id)
            variation, first_viewed = view
            key, print_ = command.command_id, command.fingerprint
            if key is not None and await seen_command(conn, store.commands, key, print_):
                return GatedContentSubmittedV1(
                    event_id=key,
                    occurred_at=now,
                    subject_id=command.visitor_id,
                    playbook_id=command.playbook_id,
                    variation_id=variation,
                )
            if key is not None:
                await record_command(conn, store.commands, key, print_)
            submitted = GatedContentSubmittedV1(
                event_id=key or uuid.uuid4(),
                occurred_at=now,
                subject_id=command.visitor_id,
                playbook_id=command.playbook_id,
                variation_id=variation,
                seconds_to_submit=max(0.0, (now - first_viewed).total_seconds()),
                name=command.name,
                fields=command.fields,
            )
            inquiry = InquirySubmittedV1(
                event_id=submitted.caused("inquiry"),
                occurred_at=now,
                subject_id=command.visitor_id,
                email=command.email,
                form_id=FORM_PREFIX + command.playbook_id,
                page=command.page,
                **submitted.lineage(),
            )
            appended = await append_for_relay(conn, store.journal, [submitted, inquiry])
        if self.relay is not None:
            self.relay.hand_over(appended)
        metrics.SUBMISSIONS.inc()
        return submitted
