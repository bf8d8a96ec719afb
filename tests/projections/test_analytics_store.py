"""The analytics queries over a small hand-made history, on SQLite and on PostgreSQL: the board
projection writes the transition facts, the queries aggregate them. Expected figures are
computed by hand from the history below (minutes after T0 = 2026-11-24 10:00 UTC)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from services.common.db import create_engine
from services.projections.handlers import BoardProjection
from services.projections.models.analytics import AdvanceTimes, CohortStage, Conversion, Window
from services.projections.tables import analytics as analytics_store
from services.projections.tables import board as board_store
from tests.projections.history import (
    at,
    awarded,
    captured,
    changed,
    created,
    first_click,
    merged,
    moved,
)

DAY = 24 * 60
EVERYTHING = Window()
FIRST_DAY = Window.of_days(date(2026, 11, 24), date(2026, 11, 24))


def history() -> list[Event]:
    return [
        # a: webinar/q4, 1 -> 2 after 1 h, 2 -> 3 after 2 h more.
        *first_click("a", 0, cta="webinar", campaign="q4"),
        awarded("a", 60, total=30),
        changed("a", 60, old=1, new=2),
        awarded("a", 180, total=80),
        changed("a", 180, old=2, new=3),
        # b: webinar/q4, skips 1 -> 4 after 1 h.
        *first_click("b", 10, cta="webinar", campaign="q4"),
        awarded("b", 70, total=160, stage=4),
        changed("b", 70, old=1, new=4),
        # c: demo/q1, 1 -> 2 after 30 min, then moved back down by a consultant.
        *first_click("c", 20, cta="demo", campaign="q1"),
        awarded("c", 50, total=30),
        changed("c", 50, old=1, new=2),
        *moved("c", 100, old=2, new=1, delta=-20),
        # d: demo/q1, three days later, 1 -> 2 after 2 h.
        *first_click("d", 3 * DAY, cta="demo", campaign="q1"),
        awarded("d", 3 * DAY + 120, total=30),
        changed("d", 3 * DAY + 120, old=1, new=2),
        # e: imported, no entry point.
        created("e", 30, imported=True),
        # f: advanced after 10 min, then merged into a: its facts go with it.
        created("f", 5),
        captured("f", 5, cta="webinar", campaign="q4"),
        awarded("f", 15, total=30),
        changed("f", 15, old=1, new=2),
        merged("a", "f", 200, email="a@example.com", total=110, stage=3, clicks=2),
    ]


@pytest.fixture
async def seeded(either_database: AsyncEngine) -> AsyncEngine:
    projection = BoardProjection(either_database)
    events = history()
    # In two batches, so the second rewrites facts the first wrote.
    await projection.record_journey_events(events[:14])
    await projection.record_journey_events(events[14:])
    return either_database


async def test_the_cohort_is_the_prospects_first_seen_in_the_window_by_current_stage(
    seeded: AsyncEngine,
) -> None:
    async with seeded.connect() as conn:
        everyone = await analytics_store.cohort(
            conn, board_store.BOARD, EVERYTHING, target=2, cutoff=at(60)
        )
        first_day = await analytics_store.cohort(
            conn, board_store.BOARD, FIRST_DAY, target=4, cutoff=at(100)
        )
    # Peak stages: a 3, b 4, c 2 (moved back to 1), d 2, e 1. Last activity: a 200 (the
    # merge), b 70, c 50, d three days on, e 30.
    assert everyone == [
        CohortStage(1, 2, inactive=2, converted=1),
        CohortStage(2, 1, inactive=0, converted=1),
        CohortStage(3, 1, inactive=0, converted=1),
        CohortStage(4, 1, inactive=0, converted=1),
        CohortStage(5, 0),
        CohortStage(6, 0),
    ]
    assert first_day == [
        CohortStage(1, 2, inactive=2, converted=0),
        CohortStage(2, 0),
        CohortStage(3, 1, inactive=0, converted=0),
        CohortStage(4, 1, inactive=1, converted=1),
        CohortStage(5, 0),
        CohortStage(6, 0),
    ]


async def test_conversion_counts_the_highest_stage_ever_reached_per_entry_point(
    seeded: AsyncEngine,
) -> None:
    async with seeded.connect() as conn:
        by_cta = await analytics_store.conversion(
            conn, board_store.BOARD, EVERYTHING, "entry_point", 2
        )
        by_campaign = await analytics_store.conversion(
            conn, board_store.BOARD, EVERYTHING, "utm_campaign", 3
        )
        first_day = await analytics_store.conversion(
            conn, board_store.BOARD, FIRST_DAY, "utm_source", 4
        )
        top = await analytics_store.conversion(
            conn, board_store.BOARD, EVERYTHING, "entry_point", 2, limit=1
        )
    assert by_cta == [
        Conversion("demo", "Demo", 2, 2),
        Conversion("webinar", "Webinar", 2, 2),
        Conversion(None, None, 1, 0),
    ]
    assert by_campaign == [
        Conversion("q1", "q1", 2, 0),
        Conversion("q4", "q4", 2, 2),
        Conversion(None, None, 1, 0),
    ]
    assert first_day == [Conversion("google", "google", 3, 1), Conversion(None, None, 1, 0)]
    assert top == by_cta[:1]


async def test_time_to_advance_counts_only_moves_up_made_in_the_window(
    seeded: AsyncEngine,
) -> None:
    async with seeded.connect() as conn:
        everything = await analytics_store.time_to_advance(conn, board_store.BOARD, EVERYTHING)
        first_day = await analytics_store.time_to_advance(conn, board_store.BOARD, FIRST_DAY)
    # Stage 1: 1800 (c), 3600 (a), 3600 (b), 7200 (d); f's 600 left with the merge.
    assert everything[0] == AdvanceTimes(1, 4, 4050.0, 3600.0, everything[0].p90)
    assert everything[0].p90 == pytest.approx(3600 + 0.7 * (7200 - 3600))
    # Stage 2: a's 2 h; c's move down is no advance.
    assert everything[1] == AdvanceTimes(2, 1, 7200.0, 7200.0, 7200.0)
    assert everything[2:] == [AdvanceTimes(3, 0), AdvanceTimes(4, 0), AdvanceTimes(5, 0)]
    assert first_day[0] == AdvanceTimes(1, 3, 3000.0, 3600.0, 3600.0)


async def test_the_migration_backfills_transitions_of_rows_already_on_the_board(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await _upgrade(engine, "0004")
        periods = [
            [1, at(0).isoformat(), at(60).isoformat()],
            [3, at(60).isoformat(), at(90).isoformat()],
            [2, at(90).isoformat(), None],
        ]
        old = {"prospect_id": "old", "stage": 2, "points": 80, "created_at": at(0)}
        old |= {"entered_stage_at": at(90), "last_activity_at": at(90), "imported": False}
        async with engine.begin() as conn:
            await conn.execute(insert(board_store.BOARD.rows).values(clicks=2, **old))
            await conn.execute(board_store.BOARD.rows.update().values(stage_periods=periods))
        await _upgrade(engine, "head")
        async with engine.connect() as conn:
            peak = (await conn.execute(select(board_store.BOARD.rows.c.peak_stage))).scalar_one()
            t = board_store.BOARD.transitions
            facts = (await conn.execute(select(t.c.from_stage, t.c.to_stage, t.c.seconds))).all()
            times = await analytics_store.time_to_advance(conn, board_store.BOARD, EVERYTHING)
    finally:
        await engine.dispose()
    assert peak == 3
    assert sorted(facts) == [(1, 3, 3600.0), (3, 2, 1800.0)]
    assert times[0] == AdvanceTimes(1, 1, 3600.0, 3600.0, 3600.0)


async def _upgrade(engine: AsyncEngine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(board_store.MIGRATIONS))
    config.attributes["version_table"] = "alembic_version_projections"

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
