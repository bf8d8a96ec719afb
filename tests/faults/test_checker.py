"""The fault suite's checker on its own (pure: records made here, no cluster): a repeat of an
event counts once, poison is left out, the entry point follows DESIGN.md, and a comparison tells
lost clicks from double-counted ones. So a checker that could not fail would fail here."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any

from tests.faults.checker import compare, expected_from_log


def record(event: dict[str, Any]) -> Any:
    return SimpleNamespace(value=json.dumps(event).encode())


def click(visitor: str, stage: int, points: int, cta: str = "") -> dict[str, Any]:
    cta_id = cta or f"cta-s{stage}"
    return {
        "event_id": str(uuid.uuid4()),
        "type": "cta.clicked.v1",
        "subject_id": visitor,
        "cta": {"id": cta_id, "label": "", "stage": stage, "points": points},
    }


def form(visitor: str, form_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "inquiry.submitted.v1",
        "subject_id": visitor,
        "form_id": form_id,
    }


def test_a_repeated_event_counts_once_and_poison_is_left_out() -> None:
    first, skip = click("a", 1, 10), click("a", 4, 10)  # gap 3 from stage 1: x3, HIGH alert
    poison = click("a", 6, 50)
    log = [record(first), record(first), record(skip), record(poison), record(skip)]
    log.append(SimpleNamespace(value=b"\xff not json"))

    want = expected_from_log(log, {poison["event_id"]})

    assert (want.log_records, want.distinct) == (6, 2)
    # 10 + 10 x 3 = 40 points: stage 2 (threshold 25), two clicks, the first click's CTA.
    assert want.prospects() == {"a": (2, 40, 2, ("cta", "cta-s1"))}
    assert want.alerts() == {"a": ("HIGH", 4, 1)}


def test_the_latest_form_is_the_entry_point_and_a_later_click_does_not_replace_it() -> None:
    log = [
        record(click("a", 1, 5, "first")),
        record(form("a", "demo")),
        record(form("a", "pricing")),
        record(click("a", 1, 5, "later")),
        record(form("b", "contact")),  # a prospect from a form alone: stage 1, nothing earned
    ]
    want = expected_from_log(log, set())
    assert want.prospects() == {
        "a": (1, 10, 2, ("inquiry", "pricing")),
        "b": (1, 0, 0, ("inquiry", "contact")),
    }


def test_a_comparison_counts_clicks_lost_and_clicks_double_counted() -> None:
    want = {"a": (2, 40, 3, None), "b": (1, 5, 1, None), "c": (1, 5, 1, None)}
    held = {"a": (2, 40, 2, None), "b": (1, 10, 2, None)}  # a short one, b one too many, c gone
    found = compare("board", held, want, clicks_at=2)
    assert (found.lost, found.doubled) == (2, 1)
    assert set(found.wrong) == {"a", "b", "c"}
    assert compare("board", want, want, clicks_at=2).wrong == {}
