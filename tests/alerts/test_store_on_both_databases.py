"""The alerts handler and tables on SQLite (embedded) and PostgreSQL (production): redelivery,
merges, sweeps, history and paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.journey import ProspectsMergedV1
from services.alerts import store
from services.alerts.domain import Refused
from services.alerts.handlers import Alerts
from services.alerts.state import Alert
from tests.alerts.history import A, at, awarded, moved, skip, uid
from tests.infra import migrated_engine

HOUR = timedelta(hours=1)


engine = migrated_engine("alerts", store.MIGRATIONS)


async def all_alerts(
    engine: AsyncEngine, *, status: str | None = None, priority: str | None = None
) -> list[Alert]:
    async with engine.connect() as conn:
        return await store.page(conn, status=status, priority=priority, limit=1000)


async def journal_size(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(store.journal))).scalar_one()


def merge(survivor: str, gone: str, minute: int) -> ProspectsMergedV1:
    return ProspectsMergedV1(
        event_id=uid("merge", survivor, gone),
        occurred_at=at(minute),
        subject_id=survivor,
        merged_id=gone,
        email=A,
        stage=2,
        total_points=40,
    )


async def test_a_redelivered_batch_raises_nothing_twice(engine: AsyncEngine) -> None:
    alerts = Alerts(engine)
    batch = [awarded(4, at(0)), skip(2, 4, at(0)), skip(1, 6, at(1), v="v-2")]
    await alerts.record_events(batch)
    await alerts.record_events(batch)
    await alerts.record_events([batch[1], batch[1]])
    found = await all_alerts(engine)
    assert sorted((a.prospect_id, a.priority, a.count) for a in found) == [
        ("v-1", "HIGH", 1),
        ("v-2", "URGENT", 1),
    ]
    assert await journal_size(engine) == 2
    [high] = [a for a in found if a.prospect_id == "v-1"]
    assert [c.cta_id for c in high.recent_clicks] == ["stage4"]


async def test_a_merge_moves_open_alerts_and_clicks_to_the_survivor(engine: AsyncEngine) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([awarded(3, at(0), v="v-young"), skip(1, 3, at(0), "v-young")])
    await alerts.record_events([awarded(2, at(1), v="v-old"), merge("v-old", "v-young", 2)])
    # A late event still keyed by the merged id (another partition) counts for the survivor.
    await alerts.record_events([awarded(1, at(3), v="v-young", name="late")])
    await alerts.record_events([skip(1, 3, at(4), "v-old")])

    [alert] = await all_alerts(engine)
    assert (alert.prospect_id, alert.subject_id, alert.count) == ("v-old", "v-young", 2)
    assert [c.cta_id for c in alert.recent_clicks] == ["late", "stage2", "stage3"]
    async with engine.connect() as conn:
        assert [a.id for a in await store.page(conn, prospect_id="v-old")] == [alert.id]
        assert await store.page(conn, prospect_id="v-young") == []


async def test_the_sweep_expires_by_the_clock_it_is_given_and_history_keeps_every_step(
    engine: AsyncEngine,
) -> None:
    alerts = Alerts(engine, escalate_after=HOUR)
    await alerts.record_events([skip(1, 6, at(0)), skip(2, 4, at(0), "v-2")])
    assert await alerts.sweep(at(59)) == []
    assert [e.type for e in await alerts.sweep(at(61))] == ["alert.escalated.v1"]
    assert await alerts.sweep(at(120)) == []
    high = next(a for a in await all_alerts(engine) if a.prospect_id == "v-2")
    await alerts.acknowledge(high.id, "sam@example.com", at(5))
    swept = await alerts.sweep(at(days=7))
    assert [e.type for e in swept] == ["alert.expired.v1"]

    urgent = next(a for a in await all_alerts(engine) if a.prospect_id == "v-1")
    assert (urgent.status, urgent.expired_at) == ("expired", at(days=7))
    with pytest.raises(Refused, match="expired"):
        await alerts.action(urgent.id, "sam@example.com", at(days=8))
    async with engine.connect() as conn:
        history = await store.history(conn, urgent)
    assert [e.type for e in history] == [
        "alert.raised.v1",
        "alert.escalated.v1",
        "alert.expired.v1",
    ]
    assert {a.status for a in await all_alerts(engine)} == {"expired", "acknowledged"}


async def test_pages_run_urgent_first_then_newest_first_and_filters_narrow_them(
    engine: AsyncEngine,
) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([skip(2, 4 if i % 2 else 6, at(i), f"v-{i}") for i in range(7)])
    seen: list[str] = []
    after = None
    while True:
        async with engine.connect() as conn:
            page = await store.page(conn, after=after, limit=3)
        if not page:
            break
        seen += [a.prospect_id for a in page]
        after = store.position(page[-1])
    assert seen == ["v-6", "v-4", "v-2", "v-0", "v-5", "v-3", "v-1"]
    urgent = await all_alerts(engine, priority="URGENT")
    assert [a.prospect_id for a in urgent] == ["v-6", "v-4", "v-2", "v-0"]
    assert await all_alerts(engine, status="acknowledged") == []


async def test_a_manual_move_resolves_the_alert_and_its_history_keeps_who_moved_it(
    engine: AsyncEngine,
) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([skip(2, 4, at(0)), skip(1, 6, at(0), "v-2")])
    move = moved(5, at(30), by="kim@example.com")
    await alerts.record_events([move])
    await alerts.record_events([move])
    [resolved] = await all_alerts(engine, status="resolved")
    assert (resolved.prospect_id, resolved.resolved_by, resolved.resolved_stage) == (
        "v-1",
        "kim@example.com",
        5,
    )
    async with engine.connect() as conn:
        history = await store.history(conn, resolved)
    assert [e.type for e in history] == ["alert.raised.v1", "alert.resolved.v1"]
    assert [a.prospect_id for a in await all_alerts(engine, status="pending")] == ["v-2"]
