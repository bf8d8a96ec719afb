"""Tiers from the billing service's upgrades: the latest upgrade by event time wins, a late
redelivery changes nothing, a visitor id merged into a prospect brings its tier along; on
SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.billing import CheckoutStartedV1, TierDowngradedV1, TierUpgradedV1
from schemas.envelope import Event
from services.projections.handlers import TierProjection
from services.projections.models.tiers import Tier, tier_of, tiers
from services.projections.tables import board as board_store
from services.projections.tables.tiers import tiers_of

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def upgraded(pid: str, old: str, new: str, minutes: int) -> TierUpgradedV1:
    return TierUpgradedV1(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{pid}/{new}/{minutes}"),
        occurred_at=T0 + timedelta(minutes=minutes),
        subject_id=pid,
        old_tier=old,
        new_tier=new,
        source="checkout",
    )


def history() -> list[Event]:
    return [
        upgraded("v-1", "Explorer", "Accelerator", 0),
        CheckoutStartedV1(
            event_id=uuid.uuid4(),
            occurred_at=T0,
            subject_id="v-2",
            checkout_session_id="cs_1",
            tier="Accelerator",
        ),
        upgraded("v-1", "Accelerator", "Summit", 30),
        upgraded("v-3", "Explorer", "Accelerator", 10),
    ]


def test_the_latest_upgrade_wins_and_other_billing_facts_change_no_tier() -> None:
    found = tiers({}, history())
    assert {pid: t.tier for pid, t in found.items()} == {"v-1": "Summit", "v-3": "Accelerator"}


def test_a_refund_downgrade_after_the_purchase_lowers_the_tier_shown() -> None:
    kept = tiers({}, history())
    refunded = TierDowngradedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(minutes=40),
        subject_id="v-1",
        old_tier="Summit",
        new_tier="Accelerator",
        cause="refund",
        stripe_event_id="evt_1",
    )
    assert {p: t.tier for p, t in tiers(kept, [refunded]).items()} == {"v-1": "Accelerator"}


def test_an_older_upgrade_arriving_late_changes_nothing() -> None:
    kept = tiers({}, history())
    assert tiers(kept, [upgraded("v-1", "Explorer", "Accelerator", 0)]) == {}


def test_a_merged_visitor_brings_its_tier_and_the_default_is_for_the_rest() -> None:
    kept = {"v-9": Tier("v-9", "Accelerator", T0)}
    assert tier_of("v-1", kept, {"v-9": "v-1"}, "Explorer") == "Accelerator"
    assert tier_of("v-2", kept, {"v-9": "v-1"}, "Explorer") == "Explorer"


async def _projected(engine: AsyncEngine) -> None:
    projection = TierProjection(engine)
    events = history()
    await projection.record_billing_events(events[:2])
    await projection.record_billing_events(events)  # redelivered, then the rest
    await projection.record_billing_events([upgraded("v-1", "Explorer", "Accelerator", 0)])
    async with engine.begin() as conn:
        await conn.execute(
            board_store.BOARD.merged.insert(), [{"prospect_id": "v-3", "merged_into": "v-4"}]
        )
        found = await tiers_of(conn, board_store.BOARD, ["v-1", "v-2", "v-4"], "Explorer")
    assert found == {"v-1": "Summit", "v-2": "Explorer", "v-4": "Accelerator"}


async def test_tiers_on_sqlite(sqlite: AsyncEngine) -> None:
    await _projected(sqlite)


@pytest.mark.postgres
async def test_tiers_on_postgres(postgres: AsyncEngine) -> None:
    await _projected(postgres)
