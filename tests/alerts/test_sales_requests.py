"""Requests to talk to sales (`sales_contact.requested.v1` on `crm.billing`) raise HIGH alerts of
their own kind: the rule, then the handler and tables on SQLite and PostgreSQL (redelivery, the
lifecycle, and skips and manual moves that leave them alone)."""

from __future__ import annotations

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.alerts import SalesAlertRaisedV1
from schemas.billing import SalesContactRequestedV1, TierUpgradedV1
from services.alerts import store
from services.alerts.api import view
from services.alerts.domain import decide_sales
from services.alerts.handlers import Alerts
from services.alerts.state import Alert, evolve
from tests.alerts.history import at, moved, skip, uid
from tests.infra import migrated_engine

engine = migrated_engine("alerts", store.MIGRATIONS)


def request(v: str = "v-1", n: int = 0) -> SalesContactRequestedV1:
    return SalesContactRequestedV1(
        event_id=uid("sales", v, n),
        occurred_at=at(n),
        subject_id=v,
        email="ana@example.com",
        name="Ana Silva",
        message="A team of 40: can we talk?",
        required_tier="Enterprise",
        current_tier="Accelerator",
        cta_id="talk-to-sales-enterprise",
    )


async def every_alert(engine: AsyncEngine) -> list[Alert]:
    async with engine.connect() as conn:
        return await store.page(conn, limit=1000)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def test_a_sales_request_raises_a_high_sales_alert_carrying_what_was_asked() -> None:
    asked = request()
    [raised] = decide_sales(asked)
    assert isinstance(raised, SalesAlertRaisedV1)
    assert (raised.priority, raised.email, raised.causation_id) == (
        "HIGH",
        "ana@example.com",
        asked.event_id,
    )
    assert (raised.required_tier, raised.current_tier, raised.cta_id) == (
        "Enterprise",
        "Accelerator",
        "talk-to-sales-enterprise",
    )
    assert decide_sales(asked) == [raised]  # the same request, the same ids

    alert = evolve(None, raised)
    assert alert is not None
    shown = view(alert)
    assert (shown.kind, shown.status, shown.name, shown.message) == (
        "sales",
        "pending",
        "Ana Silva",
        "A team of 40: can we talk?",
    )
    assert (shown.current_stage, shown.target_stage, shown.gap) == (None, None, None)
    assert (shown.expires_at - shown.raised_at).days == 7


async def test_a_redelivered_sales_request_raises_one_alert(engine: AsyncEngine) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([request()])
    await alerts.record_events([request(), request()])

    [alert] = await every_alert(engine)
    assert (alert.kind, alert.priority, alert.required_tier) == ("sales", "HIGH", "Enterprise")
    assert await count(engine, store.journal) == 1


async def test_billings_other_facts_raise_nothing_and_keep_nothing(engine: AsyncEngine) -> None:
    upgraded = TierUpgradedV1(
        event_id=uid("upgrade"),
        occurred_at=at(0),
        subject_id="v-1",
        old_tier="Explorer",
        new_tier="Accelerator",
        source="checkout",
    )
    await Alerts(engine).record_events([upgraded])
    assert await every_alert(engine) == []
    assert await count(engine, store.contacts) == 0


async def test_skips_and_manual_moves_leave_an_open_sales_alert_alone(engine: AsyncEngine) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([request()])
    await alerts.record_events([skip(2, 4, at(1))])
    found = await every_alert(engine)
    assert sorted((a.kind, a.count) for a in found) == [("sales", 1), ("skip", 1)]

    await alerts.record_events([moved(6, at(2))])
    after = {a.kind: a.status for a in await every_alert(engine)}
    assert after == {"sales": "pending", "skip": "resolved"}


async def test_consultants_work_a_sales_alert_and_the_clock_expires_an_unanswered_one(
    engine: AsyncEngine,
) -> None:
    alerts = Alerts(engine)
    await alerts.record_events([request("v-1"), request("v-2")])
    one, two = sorted(await every_alert(engine), key=lambda a: a.prospect_id)

    await alerts.acknowledge(one.id, "sam@example.com", at(5))
    done = await alerts.action(one.id, "sam@example.com", at(9), "booked a call")
    assert (done.status, done.note, done.kind) == ("actioned", "booked a call", "sales")

    swept = await alerts.sweep(at(days=7))
    assert [(e.type, getattr(e, "alert_id", None)) for e in swept] == [("alert.expired.v1", two.id)]
    async with engine.connect() as conn:
        history = await store.history(conn, one)
    assert [e.type for e in history] == [
        "sales_alert.raised.v1",
        "alert.acknowledged.v1",
        "alert.actioned.v1",
    ]
