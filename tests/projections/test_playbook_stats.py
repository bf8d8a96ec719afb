"""Gated playbook analytics from the content events: per (playbook, variation) views,
submissions, conversion rate and average time to submit; a redelivered batch adds nothing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.content import (
    GatedContentSubmittedV1,
    GatedContentViewedV1,
    PlaybookCopyFallbackUsedV1,
    PlaybookCopyGeneratedV1,
)
from schemas.envelope import Event
from services.common.db import create_engine, migrate
from services.projections.handlers import PlaybookStatsProjection
from services.projections.models.playbooks import PlaybookCounts, playbook_counts
from services.projections.pages.playbookanalytics import percent, seconds
from services.projections.tables import board as board_store
from services.projections.tables import playbooks as playbook_store
from services.projections.web.playbooks import analytics, as_csv
from tests.infra import create_database

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
_n = 0


def _common() -> dict[str, object]:
    global _n
    _n += 1
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": T0 + timedelta(seconds=_n),
        "subject_id": f"v-{_n}",
    }


def generated(playbook: str, variation: str) -> PlaybookCopyGeneratedV1:
    return PlaybookCopyGeneratedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        header="H",
        paragraphs=("p",),
        quote="q",
        model="m",
    )


def viewed(playbook: str, variation: str, fallback: bool = False) -> GatedContentViewedV1:
    return GatedContentViewedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        fallback=fallback,
    )


def submitted(playbook: str, variation: str, secs: float | None) -> GatedContentSubmittedV1:
    return GatedContentSubmittedV1(
        **_common(),
        playbook_id=playbook,
        variation_id=variation,
        seconds_to_submit=secs,
    )


def fallback_used(playbook: str) -> PlaybookCopyFallbackUsedV1:
    return PlaybookCopyFallbackUsedV1(**_common(), playbook_id=playbook, reason="timeout")


def history() -> list[Event]:
    """a1: 4 views, 1 submission (30 s); a2: 2 views (one with fallback copy), 2 submissions
    (10 s, 15 s); b1: 5 views, 2 submissions (8 s and one without a time); b2: generated only."""
    return [
        generated("pb-a", "a1"),
        generated("pb-a", "a2"),
        generated("pb-b", "b1"),
        generated("pb-b", "b2"),
        *[viewed("pb-a", "a1") for _ in range(4)],
        submitted("pb-a", "a1", 30),
        fallback_used("pb-a"),
        viewed("pb-a", "a2", fallback=True),
        viewed("pb-a", "a2"),
        submitted("pb-a", "a2", 10),
        submitted("pb-a", "a2", 15),
        *[viewed("pb-b", "b1") for _ in range(5)],
        submitted("pb-b", "b1", 8),
        submitted("pb-b", "b1", None),
    ]


EXPECTED = {
    ("pb-a", "a1"): PlaybookCounts(4, 1, 30.0, 1),
    ("pb-a", "a2"): PlaybookCounts(2, 2, 25.0, 2),
    ("pb-b", "b1"): PlaybookCounts(5, 2, 8.0, 1),
    ("pb-b", "b2"): PlaybookCounts(0, 0, 0.0, 0),
}


def test_views_submissions_and_times_are_counted_per_variation() -> None:
    counts = playbook_counts(history())

    assert counts == EXPECTED
    assert counts["pb-a", "a1"].conversion_rate == 0.25
    assert counts["pb-a", "a2"].average_seconds_to_submit == 12.5
    assert counts["pb-b", "b1"].average_seconds_to_submit == 8.0
    assert counts["pb-b", "b2"].conversion_rate is None
    assert counts["pb-b", "b2"].average_seconds_to_submit is None


def test_a_fallback_fact_is_no_view_and_other_topics_events_are_ignored() -> None:
    assert playbook_counts([fallback_used("pb-a")]) == {}
    assert playbook_counts([viewed("pb-a", "static", fallback=True)]) == {
        ("pb-a", "static"): PlaybookCounts(views=1)
    }


def test_counts_of_parts_of_the_log_add_up_to_the_counts_of_the_whole() -> None:
    events = history()
    first, second = playbook_counts(events[:9]), playbook_counts(events[9:])
    summed = {k: first.get(k, PlaybookCounts()) + second.get(k, PlaybookCounts()) for k in EXPECTED}
    assert summed == EXPECTED


def test_totals_rates_and_sorting() -> None:
    report = analytics(EXPECTED, "conversion_rate", "desc")

    assert [p.playbook_id for p in report.playbooks] == ["pb-a", "pb-b"]
    a, b = report.playbooks
    assert (a.totals.views, a.totals.submissions, a.totals.conversion_rate) == (6, 3, 0.5)
    assert a.totals.average_seconds_to_submit == pytest.approx(55 / 3)
    assert [v.variation_id for v in a.variations] == ["a2", "a1"]
    # No views: no rate, listed last whatever the order.
    assert [v.variation_id for v in b.variations] == ["b1", "b2"]
    assert [
        v.variation_id
        for v in analytics(EXPECTED, "conversion_rate", "asc").playbooks[0].variations
    ] == ["b1", "b2"]
    assert [p.playbook_id for p in analytics(EXPECTED, "conversion_rate", "asc").playbooks] == [
        "pb-b",
        "pb-a",
    ]
    assert [p.playbook_id for p in analytics(EXPECTED, "playbook", "desc").playbooks] == [
        "pb-b",
        "pb-a",
    ]
    assert (percent(a.totals.conversion_rate), seconds(a.totals.average_seconds_to_submit)) == (
        "50.0%",
        "18.3 s",
    )
    assert (percent(None), seconds(None)) == ("—", "—")


def test_the_csv_has_a_total_row_per_playbook_then_its_variations() -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(analytics(EXPECTED)))))

    assert [(r["playbook_id"], r["variation_id"], r["row"]) for r in rows] == [
        ("pb-a", "", "total"),
        ("pb-a", "a1", "variation"),
        ("pb-a", "a2", "variation"),
        ("pb-b", "", "total"),
        ("pb-b", "b1", "variation"),
        ("pb-b", "b2", "variation"),
    ]
    assert rows[0] | {} == {
        "playbook_id": "pb-a",
        "variation_id": "",
        "row": "total",
        "views": "6",
        "submissions": "3",
        "conversion_rate": "0.500000",
        "average_seconds_to_submit": "18.333",
    }
    assert (rows[5]["conversion_rate"], rows[5]["average_seconds_to_submit"]) == ("", "")


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    text = as_csv(analytics({("=HYPERLINK(1)", "-v"): PlaybookCounts(1, 0, 0.0, 0)}))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["playbook_id"] == "'=HYPERLINK(1)"
    assert rows[1]["variation_id"] == "'-v"


async def _redelivered(engine: AsyncEngine) -> None:
    projection = PlaybookStatsProjection(engine)
    events = history()
    await projection.record_content_events(events[:10])
    await projection.record_content_events(events[5:])  # 5 of them again
    await projection.record_content_events(events)  # all of them again
    async with engine.connect() as conn:
        assert await playbook_store.all_counts(conn) == EXPECTED


async def test_a_redelivered_batch_adds_nothing_on_sqlite(sqlite: AsyncEngine) -> None:
    await _redelivered(sqlite)


@pytest.mark.postgres
async def test_a_redelivered_batch_adds_nothing_on_postgres(postgres_url: str, unique: str) -> None:
    engine = create_engine(await create_database(postgres_url, f"playbooks_{unique}"))
    try:
        await migrate(engine, "projections", board_store.MIGRATIONS)
        await _redelivered(engine)
    finally:
        await engine.dispose()
