"""The alert feed read model from the alerts service's events: each alert's lifecycle times,
and per priority how fast consultants acknowledge and act; a redelivered batch changes nothing;
the API serves the figures to a consultant only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alerts import (
    AlertAcknowledgedV1,
    AlertActionedV1,
    AlertEscalatedV1,
    AlertExpiredV1,
    AlertRaisedV1,
    AlertRepeatedV1,
    AlertResolvedV1,
)
from schemas.envelope import Event
from services.common.auth import SESSION_COOKIE
from services.common.sessions import Sessions
from services.projections.handlers import AlertFeedProjection
from services.projections.models.alert_feed import feed, responses
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.web.alert_feed import alert_feed_router
from tests.sessions import session_token

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _head(alert: str, at: timedelta) -> dict[str, object]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": T0 + at,
        "subject_id": f"v-{alert}",
        "alert_id": uuid.uuid5(uuid.NAMESPACE_URL, alert),
    }


def raised(alert: str, priority: str = "HIGH", at: timedelta = timedelta(0)) -> Event:
    return AlertRaisedV1(
        **_head(alert, at),
        priority=priority,
        current_stage=2,
        target_stage=4 if priority == "HIGH" else 6,
        gap=2 if priority == "HIGH" else 4,
        recommended_action="phone",
        expires_at=T0 + at + timedelta(days=7),
    )


def acknowledged(alert: str, at: timedelta) -> Event:
    return AlertAcknowledgedV1(**_head(alert, at), by="ann@crm.io")


def actioned(alert: str, at: timedelta) -> Event:
    return AlertActionedV1(**_head(alert, at), by="bob@crm.io")


def history() -> list[Event]:
    """HIGH a: acknowledged after 10 min, actioned after 30; HIGH b: actioned directly after
    20 min; HIGH c: repeated, escalated to URGENT, acknowledged after 60 min; URGENT d: expired;
    HIGH e: pending. Raised on 2 November, except e on 5 November."""
    return [
        raised("a"),
        raised("b"),
        raised("c"),
        raised("d", "URGENT"),
        acknowledged("a", 10 * MIN),
        actioned("b", 20 * MIN),
        AlertRepeatedV1(**_head("c", 5 * MIN), count=2),
        AlertEscalatedV1(
            **_head("c", 6 * MIN), priority="URGENT", target_stage=6, gap=4, reason="higher_target"
        ),
        actioned("a", 30 * MIN),
        acknowledged("c", 60 * MIN),
        AlertExpiredV1(**_head("d", timedelta(days=7))),
        raised("e", at=timedelta(days=3)),
    ]


def test_each_alert_keeps_its_lifecycle_times() -> None:
    rows = feed({}, history())
    a, c = (rows[str(uuid.uuid5(uuid.NAMESPACE_URL, k))] for k in "ac")
    assert (a.status, a.acknowledged_at, a.actioned_at) == (
        "actioned",
        T0 + 10 * MIN,
        T0 + 30 * MIN,
    )
    assert (a.acknowledged_by, a.actioned_by) == ("ann@crm.io", "bob@crm.io")
    assert (c.priority, c.target_stage, c.repeats, c.escalated, c.status) == (
        "URGENT",
        6,
        2,
        True,
        "acknowledged",
    )


def test_an_alert_resolved_by_a_manual_move_counts_as_resolved_with_no_response_time() -> None:
    moved = AlertResolvedV1(
        **_head("f", 40 * MIN), by="ann@crm.io", reason="moved_manually", stage=4, note="signed"
    )
    rows = feed({}, [raised("f"), moved])
    [row] = rows.values()
    assert (row.status, row.acknowledged_at, row.actioned_at) == ("resolved", None, None)
    [high] = [r.summary() for r in responses(rows.values()) if r.priority == "HIGH"]
    assert (high["raised"], high["resolved"], high["pending"]) == (1, 1, 0)
    assert high["time_to_action"]["count"] == high["time_to_acknowledge"]["count"] == 0


def test_later_events_apply_to_stored_rows_and_a_raise_seen_twice_changes_nothing() -> None:
    events = history()
    first = feed({}, events[:4])
    second = feed(first, events[4:] + events[:1])
    assert feed({}, events) == {**first, **second}


def test_response_times_per_priority() -> None:
    summary = {r.priority: r.summary() for r in responses(feed({}, history()).values())}
    high, urgent = summary["HIGH"], summary["URGENT"]
    assert (high["raised"], high["pending"], high["actioned"]) == (3, 1, 2)
    # a: 10 min, b: 20 min (actioned directly)
    assert high["time_to_acknowledge"] == {
        "count": 2,
        "average_seconds": 900.0,
        "median_seconds": 900.0,
        "p90_seconds": 1140.0,
    }
    assert high["time_to_action"]["median_seconds"] == 1500.0  # 30 and 20 min
    assert (urgent["raised"], urgent["expired"], urgent["acknowledged"], urgent["escalated"]) == (
        2,
        1,
        1,
        1,
    )
    assert urgent["time_to_acknowledge"]["average_seconds"] == 3600.0
    assert urgent["time_to_action"] == {
        "count": 0,
        "average_seconds": None,
        "median_seconds": None,
        "p90_seconds": None,
    }


async def _redelivered_then_served(engine: AsyncEngine) -> None:
    projection = AlertFeedProjection(engine)
    events = history()
    await projection.record_alert_events(events[:6])
    await projection.record_alert_events(events[3:])
    await projection.record_alert_events(events)
    async with engine.connect() as conn:
        stored = await alert_feed_store.raised_between(conn, None, None)
    assert {r.alert_id: r for r in stored} == feed({}, events)

    app = FastAPI()
    app.state.session_secret = "feed-secret"
    app.state.sessions = Sessions(engine)
    app.include_router(alert_feed_router(engine))
    token = await session_token(engine, "feed-secret", "c@crm.io")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/v1/analytics/alerts")).status_code == 401
        client.cookies.set(SESSION_COOKIE, token)
        answer = await client.get("/v1/analytics/alerts?from=2026-11-02&to=2026-11-02")
        assert answer.status_code == 200
        high = next(p for p in answer.json()["priorities"] if p["priority"] == "HIGH")
        assert (high["raised"], high["pending"]) == (2, 0)  # e was raised on 5 November
        bad = await client.get("/v1/analytics/alerts?from=2026-11-05&to=2026-11-01")
        assert bad.status_code == 422 and "`to`" in bad.text


async def test_the_feed_on_sqlite(sqlite: AsyncEngine) -> None:
    await _redelivered_then_served(sqlite)


@pytest.mark.postgres
async def test_the_feed_on_postgres(postgres: AsyncEngine) -> None:
    await _redelivered_then_served(postgres)
