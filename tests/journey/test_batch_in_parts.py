"""A batch is decided and written in parts, the database writing one while Python decides the
next, on SQLite (embedded) and PostgreSQL: a batch that fails half-way leaves nothing behind,
and one that succeeds is all there, as if written at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.catalogue import parse_event
from schemas.journey import PointsAwardedV1
from schemas.values import Cta
from schemas.web import CtaClickedV1
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.handlers import PART, Journey
from services.journey.tables import prospects as store
from tests.infra import migrated_engine

T0 = datetime(2026, 11, 1, tzinfo=UTC)
VISITORS = 300
CLICKS = 3 * PART + 7  # several parts, and a short last one


@dataclass(frozen=True)
class FailingOn(Rules):
    """Rules that break on one CTA: a failure after earlier parts went to the database."""

    poison: str = "poison"

    def base_points(self, cta: Cta) -> int:
        if cta.id == self.poison:
            raise RuntimeError("the rules broke")
        return super().base_points(cta)


engine = migrated_engine("journey", store.MIGRATIONS)


def clicks(n: int, last_cta: str = "guide") -> list[CtaClickedV1]:
    return [
        CtaClickedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0 + timedelta(seconds=i),
            subject_id=f"v-{i % VISITORS}",
            cta={
                "id": last_cta if i == n - 1 else "guide",
                "label": "Read the guide",
                "stage": 1 + i % 6,
                "points": 1 + i % 50,
            },
            page="https://example.com/guides",
        )
        for i in range(n)
    ]


async def counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        return (
            (await conn.execute(select(func.count()).select_from(store.prospects))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(store.journal))).scalar_one(),
            (await conn.execute(select(func.count()).select_from(store.processed))).scalar_one(),
        )


async def test_a_batch_failing_after_parts_were_written_leaves_nothing_and_then_succeeds(
    engine: AsyncEngine,
) -> None:
    batch = clicks(CLICKS, last_cta="poison")
    with pytest.raises(RuntimeError, match="the rules broke"):
        await Journey(engine, FailingOn()).record_web_events(batch)
    assert await counts(engine) == (0, 0, 0)

    journey = Journey(engine, DEFAULT_RULES)
    await journey.record_web_events(batch)  # the same connection pool, the same batch
    prospects, journaled, processed = await counts(engine)
    assert (prospects, processed) == (VISITORS, CLICKS)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(store.journal.c.payload))).all()
        loaded = await store.load(conn, [f"v-{i}" for i in range(VISITORS)])
    awarded = [e for r in rows if isinstance(e := parse_event(r.payload), PointsAwardedV1)]
    assert len(rows) == journaled
    assert len(awarded) == CLICKS
    # The saved state is the last of each prospect's parts: its points are the sum awarded.
    for pid, prospect in loaded.items():
        assert prospect.points == sum(e.points for e in awarded if e.subject_id == pid)
        assert prospect.clicks == sum(1 for e in awarded if e.subject_id == pid)
