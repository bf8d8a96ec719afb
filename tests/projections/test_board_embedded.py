"""`GET /v1/board` and the /customerjourney page's server-side filtering, on the running
embedded product (website clicks in, through the journey and the log, to the board)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.processes import poll
from tests.product import Product


def click(
    visitor: str, cta: str, stage: int, points: int, campaign: str, minute: int
) -> dict[str, Any]:
    return {
        "type": "cta.clicked",
        "visitor_id": visitor,
        "occurred_at": (datetime(2026, 11, 20, 9, tzinfo=UTC) + timedelta(minutes=minute))
        .isoformat()
        .replace("+00:00", "Z"),
        "cta": {"id": cta, "label": cta.title(), "stage": stage, "points": points},
        "utm": {"source": "google", "campaign": campaign},
    }


@pytest.fixture(scope="module")
def campaign(product: Product) -> str:
    """Five prospects under one fresh campaign: three in Stage 1, one in 3, one with an email."""
    name = f"c-{uuid.uuid4().hex[:8]}"
    events = [
        click(f"{name}-a", "blog", 1, 5, name, 0),
        click(f"{name}-b", "guide", 1, 5, name, 1),
        click(f"{name}-c", "blog", 1, 5, name, 2),
        click(f"{name}-d", "blog", 1, 10, name, 3),
        click(f"{name}-d", "demo", 4, 30, name, 4),
        {
            "type": "inquiry.submitted",
            "visitor_id": f"{name}-e",
            "email": f"Someone.{name}@Example.com",
            "form_id": "contact",
            "utm": {"campaign": name},
            "occurred_at": "2026-11-20T09:05:00Z",
        },
    ]
    assert product.post({"events": events}).status_code == 202
    poll(lambda: board(product, utm_campaign=name), lambda b: b.get("total") == 5)
    return name


def board(product: Product, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{product.base}/v1/board",
        params=params,
        headers={"Authorization": f"Bearer {product.token}"},
    )
    body: dict[str, Any] = answer.json()
    return body


def page(product: Product, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{product.base}/customerjourney", params=params, cookies={"crm_session": product.token}
    )


def test_the_board_lists_prospects_with_stage_entry_point_and_per_stage_counts(
    product: Product, campaign: str
) -> None:
    found = board(product, utm_campaign=campaign)

    assert found["total"] == 5
    assert [(s["stage"], s["count"]) for s in found["stages"]][:4] == [
        (1, 4),
        (2, 0),
        (3, 1),
        (4, 0),
    ]
    assert found["stages"][0]["name"] == "Call to Discovery"
    newest = found["rows"][0]
    assert newest["prospect_id"] == f"{campaign}-e", "most recent activity first"
    assert newest["email"] == f"someone.{campaign}@example.com"
    assert newest["entry_point"]["kind"] == "inquiry"
    jumper = next(r for r in found["rows"] if r["prospect_id"] == f"{campaign}-d")
    assert (jumper["stage"], jumper["stage_name"], jumper["points"]) == (3, "Validation", 100)
    assert jumper["entry_point"]["cta_id"] == "blog"
    assert jumper["entry_point"]["utm_campaign"] == campaign
    assert jumper["entered_stage_at"] == "2026-11-20T09:04:00Z"


def test_filters_narrow_the_rows_and_counts_ignore_only_the_stage_filter(
    product: Product, campaign: str
) -> None:
    in_stage_3 = board(product, utm_campaign=campaign, stage=3)
    by_entry = board(product, utm_campaign=campaign, entry_point="blog")
    by_email = board(product, q=f"SOMEONE.{campaign}")
    by_id_part = board(product, q=f"{campaign}-b")

    assert [r["prospect_id"] for r in in_stage_3["rows"]] == [f"{campaign}-d"]
    assert in_stage_3["total"] == 1 and in_stage_3["stages"][0]["count"] == 4
    assert {r["prospect_id"] for r in by_entry["rows"]} == {f"{campaign}-{x}" for x in "acd"}
    assert [r["prospect_id"] for r in by_email["rows"]] == [f"{campaign}-e"]
    assert [r["prospect_id"] for r in by_id_part["rows"]] == [f"{campaign}-b"]
    assert board(product, q="%_no-such_%")["total"] == 0


def test_pages_follow_the_cursor_without_repeating_or_skipping_a_row(
    product: Product, campaign: str
) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        found = board(
            product, utm_campaign=campaign, limit=2, **({"cursor": cursor} if cursor else {})
        )
        seen += [r["prospect_id"] for r in found["rows"]]
        cursor = found["next_cursor"]
        if cursor is None:
            break
    everything = [r["prospect_id"] for r in board(product, utm_campaign=campaign)["rows"]]
    assert seen == everything and len(seen) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": 7}, "query.stage"),
        ({"stage": "two"}, "query.stage"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 201}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"q": "x" * 201}, "query.q"),
        ({"utm_campaign": ""}, "query.utm_campaign"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_field(
    product: Product, params: dict[str, Any], field: str
) -> None:
    answer = httpx.get(
        f"{product.base}/v1/board",
        params=params,
        headers={"Authorization": f"Bearer {product.token}"},
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_board_needs_a_consultant_session(product: Product) -> None:
    assert httpx.get(f"{product.base}/v1/board").status_code == 401
    forged = {"Authorization": "Bearer not.a-token"}
    assert httpx.get(f"{product.base}/v1/board", headers=forged).status_code == 401
    producer = {"Authorization": f"Bearer {product.producer_key}"}
    assert httpx.get(f"{product.base}/v1/board", headers=producer).status_code == 401


def test_the_page_filters_on_the_server_and_shows_one_stage_when_asked(
    product: Product, campaign: str
) -> None:
    answer = page(product, utm_campaign=campaign, stage="3")

    assert answer.status_code == 200
    assert f'data-prospect-id="{campaign}-d"' in answer.text
    assert f'data-prospect-id="{campaign}-a"' not in answer.text
    assert answer.text.count('class="card"') == 1
    assert "1 prospect matching the filters" in answer.text
    assert "script-src 'sha256-" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


def test_the_page_escapes_what_it_is_given_and_reports_a_bad_filter(product: Product) -> None:
    answer = page(product, q='"><script>alert(1)</script>', stage="9")

    assert answer.status_code == 422
    assert "Stage must be a number from 1 to 6." in answer.text
    assert "<script>alert(1)" not in answer.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_the_login_page_only_sends_people_on_to_this_site(product: Product) -> None:
    for target, kept in [
        ("/customerjourney?stage=2", "/customerjourney?stage=2"),
        ("https://evil.example/", "/customerjourney"),
        ("//evil.example/", "/customerjourney"),
        ("/\\evil.example", "/customerjourney"),
    ]:
        answer = httpx.get(f"{product.base}/login", params={"next": target})
        assert answer.status_code == 200
        assert f'data-next="{kept.replace("&", "&amp;")}"' in answer.text
    signed_in = httpx.get(
        f"{product.base}/login",
        params={"next": "/customerjourney?stage=2"},
        cookies={"crm_session": product.token},
        follow_redirects=False,
    )
    assert (signed_in.status_code, signed_in.headers["location"]) == (
        303,
        "/customerjourney?stage=2",
    )


def test_the_home_page_leads_to_the_customer_journey(product: Product) -> None:
    answer = httpx.get(f"{product.base}/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/customerjourney")
