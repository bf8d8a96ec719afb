"""`GET /v1/analytics/...` on the running embedded product: clicks posted to ingest on a day of
their own come back as figures and CSV; a bad parameter is a 422 naming it; no session, 401."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.processes import poll
from tests.product import Product

RUN = uuid.uuid4().hex[:6]
DAY = date(2000, 1, 1) + timedelta(days=random.SystemRandom().randrange(3600))
WINDOW = {"from": DAY.isoformat(), "to": DAY.isoformat()}


def click(visitor: str, hour: float, stage: int, points: int) -> dict[str, Any]:
    at = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=hour)
    return {
        "type": "cta.clicked",
        "visitor_id": f"api-{RUN}-{visitor}",
        "occurred_at": at.isoformat(),
        "cta": {"id": f"cta-{RUN}", "label": "Try it", "stage": stage, "points": points},
        "utm": {"source": "google", "medium": "cpc", "campaign": f"api-{RUN}"},
    }


def get(product: Product, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{product.base}/v1/analytics/{path}",
        params=params,
        headers={"Authorization": f"Bearer {product.token}"},
    )


@pytest.fixture(scope="module")
def seeded(product: Product) -> Product:
    """x: 1 -> 2 after 3 h; y stays in Stage 1."""
    events = [click("x", 8, 1, 10), click("x", 11, 2, 20), click("y", 9, 1, 5)]
    assert product.post({"events": events}).status_code == 202
    poll(
        lambda: get(product, "time-to-advance", **WINDOW).json(),
        lambda b: b["stages"][0]["advances"] == 1,
    )
    return product


def test_the_figures_of_a_day_come_back_as_json(seeded: Product) -> None:
    stages = get(seeded, "stages", **WINDOW).json()
    assert stages["window"] == WINDOW
    assert stages["total"] == 2
    assert [s["prospects"] for s in stages["stages"]] == [1, 1, 0, 0, 0, 0]

    conversion = get(seeded, "conversion", by="utm_campaign", target_stage=2, **WINDOW).json()
    assert conversion["target_stage_name"] == "Exploration"
    assert conversion["groups"] == [
        {"key": f"api-{RUN}", "label": f"api-{RUN}", "prospects": 2, "converted": 1, "rate": 0.5}
    ]
    default = get(seeded, "conversion", **WINDOW).json()
    assert (default["by"], default["target_stage"]) == ("entry_point", 4)
    assert default["groups"][0]["converted"] == 0

    advance = get(seeded, "time-to-advance", **WINDOW).json()["stages"][0]
    assert advance == {
        "stage": 1,
        "name": "Call to Discovery",
        "advances": 1,
        "average_seconds": 10800.0,
        "median_seconds": 10800.0,
        "p90_seconds": 10800.0,
    }

    quiet = get(seeded, "drop-off", inactive_days=30, **WINDOW).json()
    assert quiet["inactive_days"] == 30
    assert [(s["prospects"], s["inactive"]) for s in quiet["stages"][:2]] == [(1, 1), (1, 1)]


def test_the_same_figures_come_as_csv(seeded: Product) -> None:
    answer = get(seeded, "conversion.csv", by="utm_campaign", target_stage=2, **WINDOW)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(answer.text))) == [
        ["utm_campaign", "label", "prospects", "reached_stage_2", "rate"],
        [f"api-{RUN}", f"api-{RUN}", "2", "1", "0.5"],
    ]
    stages = list(csv.DictReader(io.StringIO(get(seeded, "stages.csv", **WINDOW).text)))
    assert [(r["stage"], r["prospects"], r["share"]) for r in stages[:2]] == [
        ("1", "1", "0.5"),
        ("2", "1", "0.5"),
    ]


def test_the_funnel_of_a_day_counts_who_reached_each_stage_as_json_and_csv(
    seeded: Product,
) -> None:
    funnel = get(seeded, "funnel", **WINDOW).json()
    assert (funnel["window"], funnel["total"]) == (WINDOW, 2)
    assert funnel["stages"][:3] == [
        {
            "stage": 1,
            "name": "Call to Discovery",
            "reached": 2,
            "step_rate": None,
            "overall_rate": 1.0,
        },
        {"stage": 2, "name": "Exploration", "reached": 1, "step_rate": 0.5, "overall_rate": 0.5},
        {
            "stage": 3,
            "name": funnel["stages"][2]["name"],
            "reached": 0,
            "step_rate": 0.0,
            "overall_rate": 0.0,
        },
    ]
    assert funnel["stages"][3]["step_rate"] is None
    answer = get(seeded, "funnel.csv", **WINDOW)
    assert answer.headers["content-disposition"] == 'attachment; filename="funnel.csv"'
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[:3] == [
        ["stage", "name", "reached", "step_rate", "overall_rate"],
        ["1", "Call to Discovery", "2", "", "1"],
        ["2", "Exploration", "1", "0.5", "0.5"],
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("stages", {"from": "yesterday"}, "query.from"),
        ("funnel", {"from": "2026-02-01", "to": "2026-01-01"}, "query.to"),
        ("funnel.csv", {"to": "soon"}, "query.to"),
        ("stages", {"from": "2026-02-01", "to": "2026-01-01"}, "query.to"),
        ("conversion", {"by": "colour"}, "query.by"),
        ("conversion", {"target_stage": "1"}, "query.target_stage"),
        ("drop-off", {"inactive_days": "0"}, "query.inactive_days"),
        ("drop-off.csv", {"inactive_days": "x"}, "query.inactive_days"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(
    product: Product, path: str, params: dict[str, str], field: str
) -> None:
    answer = get(product, path, **params)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "path",
    [
        "funnel",
        "funnel.csv",
        "stages",
        "stages.csv",
        "conversion",
        "conversion.csv",
        "time-to-advance",
        "time-to-advance.csv",
        "drop-off",
        "drop-off.csv",
        "alerts",
    ],
)
@pytest.mark.parametrize(("name", "day"), [("to", "9999-12-31"), ("from", "0001-01-01")])
def test_a_day_out_of_range_is_a_422_naming_it(
    product: Product, path: str, name: str, day: str
) -> None:
    answer = get(product, path, **{name: day})
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [e["field"] for e in errors] == [f"query.{name}"]
    assert "from 1970-01-01 to 2999-12-31" in errors[0]["message"]


def test_without_a_consultant_session_the_figures_are_refused(product: Product) -> None:
    for path in ("stages", "funnel", "funnel.csv"):
        assert httpx.get(f"{product.base}/v1/analytics/{path}").status_code == 401
