"""Journey rules, given/when/then over events: no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from schemas.web import CtaClickedV1
from services.journey.domain import on_click

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def click(cta_id: str, minutes: int = 0, email: str | None = None) -> CtaClickedV1:
    return CtaClickedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(minutes=minutes),
        subject_id="v-1",
        email=email,
        cta={"id": cta_id, "label": cta_id.title(), "stage": 3, "points": 10},
        page=f"https://example.com/{cta_id}",
        utm={"source": "google", "medium": "cpc", "campaign": "q4"},
    )


def test_a_first_click_creates_the_prospect_in_stage_1_with_the_click_as_entry_point() -> None:
    prospect = on_click(None, click("pricing"))
    assert (prospect.id, prospect.stage, prospect.clicks) == ("v-1", 1, 1)
    assert prospect.entry_point is not None
    assert (prospect.entry_point.cta_id, prospect.entry_point.page) == (
        "pricing",
        "https://example.com/pricing",
    )
    assert prospect.entry_point.utm.campaign == "q4"
    assert prospect.entry_point.captured_at == T0


def test_a_later_click_keeps_the_first_entry_point_and_counts_the_click() -> None:
    prospect = on_click(
        on_click(None, click("pricing")), click("webinar", minutes=5, email="a@b.co")
    )
    assert prospect.entry_point is not None and prospect.entry_point.cta_id == "pricing"
    assert (prospect.clicks, prospect.email, prospect.last_activity_at) == (
        2,
        "a@b.co",
        T0 + timedelta(minutes=5),
    )


def test_a_late_arriving_older_click_does_not_move_last_activity_back() -> None:
    prospect = on_click(on_click(None, click("pricing", minutes=10)), click("webinar", minutes=1))
    assert prospect.last_activity_at == T0 + timedelta(minutes=10)
