from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from schemas.web import CtaClickedV1
from services.common.db import mark_processed, unprocessed
from services.common.transport import Handler
from services.journey import store
from services.journey.domain import Prospect, on_click


def record_web_events(engine: AsyncEngine) -> Handler:
    async def handle(events: Sequence[Event]) -> None:
        """Apply a batch of website events; state and the processed ids commit together."""
        async with engine.begin() as conn:
            fresh = await unprocessed(conn, store.processed, events)
            clicks = [e for e in fresh if isinstance(e, CtaClickedV1)]
            current = await store.load(conn, {c.subject_id for c in clicks})
            existing = set(current)
            changed: dict[str, Prospect] = {}
            for click in clicks:
                changed[click.subject_id] = current[click.subject_id] = on_click(
                    current.get(click.subject_id), click
                )
            await store.save(conn, list(changed.values()), existing)
            await mark_processed(conn, store.processed, [e.event_id for e in fresh])

    return handle
