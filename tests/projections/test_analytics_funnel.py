"""The funnel and the entry forms' conversion groups over a small hand-made history, on SQLite
and on PostgreSQL. Expected figures are computed by hand from the history below (minutes after
T0 = 2026-11-24 10:00 UTC)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.envelope import Event
from services.projections.handlers import BoardProjection
from services.projections.models.analytics import Conversion, FunnelStep, funnel
from services.projections.tables import analytics as analytics_store
from services.projections.tables import board as board_store
from tests.projections.history import awarded, captured, changed, created, first_click, moved
from tests.projections.test_analytics_store import DAY, EVERYTHING, FIRST_DAY


def history() -> list[Event]:
    return [
        # a: webinar, 1 -> 2 -> 3. Peak 3.
        *first_click("a", 0, cta="webinar"),
        awarded("a", 60, total=30),
        changed("a", 60, old=1, new=2),
        awarded("a", 180, total=80),
        changed("a", 180, old=2, new=3),
        # b: webinar, skips 1 -> 4 (reached 2 and 3 too). Peak 4.
        *first_click("b", 10, cta="webinar"),
        awarded("b", 70, total=160, stage=4),
        changed("b", 70, old=1, new=4),
        # c: the contact form, 1 -> 2, then moved back to 1 by a consultant. Peak 2.
        created("c", 20),
        captured("c", 20, cta="contact", kind="inquiry"),
        awarded("c", 50, total=30),
        changed("c", 50, old=1, new=2),
        *moved("c", 100, old=2, new=1, delta=-20),
        # d: the contact form, stays in 1. Peak 1.
        created("d", 30),
        captured("d", 30, cta="contact", kind="inquiry"),
        # e: imported in stage 3, no entry point. Peak 3.
        created("e", 35, imported=True, stage=3),
        # g: the pricing form, then a click worth stage 5. Peak 5.
        created("g", 40),
        captured("g", 40, cta="pricing-question", kind="inquiry"),
        awarded("g", 90, total=300, stage=5),
        changed("g", 90, old=1, new=5),
        # h: the next day, demo, stays in 1. Peak 1.
        *first_click("h", DAY + 60, cta="demo"),
    ]


@pytest.fixture
async def seeded(either_database: AsyncEngine) -> AsyncEngine:
    await BoardProjection(either_database).record_journey_events(history())
    return either_database


def test_the_funnel_counts_every_stage_at_or_below_the_peak_as_reached() -> None:
    assert funnel({1: 2, 3: 1, 5: 1}) == [
        FunnelStep(1, 4),
        FunnelStep(2, 2, previous=4),
        FunnelStep(3, 2, previous=2),
        FunnelStep(4, 1, previous=2),
        FunnelStep(5, 1, previous=1),
        FunnelStep(6, 0, previous=1),
    ]
    assert [f.step_rate for f in funnel({1: 2, 3: 1, 5: 1})] == [None, 0.5, 1.0, 0.5, 1.0, 0.0]
    assert [f.step_rate for f in funnel({})] == [None] * 6


async def test_the_funnel_of_a_seeded_history_counts_prospects_reaching_each_stage(
    seeded: AsyncEngine,
) -> None:
    async with seeded.connect() as conn:
        everything = await analytics_store.peaks(conn, board_store.BOARD, EVERYTHING)
        first_day = await analytics_store.peaks(conn, board_store.BOARD, FIRST_DAY)
    # Peaks: a 3, b 4, c 2, d 1, e 3, g 5, h 1 (h on the next day).
    assert everything == {1: 2, 2: 1, 3: 2, 4: 1, 5: 1}
    assert [f.reached for f in funnel(everything)] == [7, 5, 4, 2, 1, 0]
    assert [f.step_rate for f in funnel(everything)] == [None, 5 / 7, 0.8, 0.5, 0.5, 0.0]
    assert [f.reached for f in funnel(first_day)] == [6, 5, 4, 2, 1, 0]
    assert funnel(first_day)[1].step_rate == 5 / 6


async def test_prospects_entering_through_a_form_are_grouped_by_that_form(
    seeded: AsyncEngine,
) -> None:
    async with seeded.connect() as conn:
        by_entry = await analytics_store.conversion(
            conn, board_store.BOARD, EVERYTHING, "entry_point", 2
        )
    # e, imported in stage 3, has no entry point: the only one left "none captured".
    assert by_entry == [
        Conversion("form:contact", "Form: contact", 2, 1),
        Conversion("webinar", "Webinar", 2, 2),
        Conversion("demo", "Demo", 1, 0),
        Conversion("form:pricing-question", "Form: pricing-question", 1, 1),
        Conversion(None, None, 1, 1),
    ]
