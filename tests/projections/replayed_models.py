"""The database side of the replay command's tests: a version's tables by role, rows against
those the pure projections give, rows only one version holds and the reads that show them, and
when the live projections have applied the seeded events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Table, delete, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from schemas.envelope import Event
from services.common.db import as_aware
from services.projections.models.alert_feed import feed
from services.projections.models.notes import roadmap_notes
from services.projections.models.playbooks import playbook_counts
from services.projections.models.tiers import Tier, tiers
from services.projections.tables import alert_feed as alert_feed_store
from services.projections.tables import board as board_store
from services.projections.tables import playbooks as playbook_store
from services.projections.tables import versions
from tests.projections.replay_log import distinct_on

V1, V2, V3 = "projections_board_v1", "projections_board_v2", "projections_board_v3"
ONLY_IN_V2 = "only-in-v2"
FAR = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


async def stored_models(engine: AsyncEngine, name: str) -> dict[str, Any]:
    """The alert feed, tiers, playbook counts and note ids version `name` holds."""
    t = versions.model_set(name)
    async with engine.connect() as conn:
        alerts = await alert_feed_store.raised_between(conn, None, None, t.alerts)
        kept = {
            r.prospect_id: Tier(r.prospect_id, r.tier, as_aware(r.upgraded_at))
            for r in await conn.execute(select(t.tiers))
        }
        return {
            "alerts": {a.alert_id: a for a in alerts},
            "tiers": kept,
            "playbooks": await playbook_store.all_counts(conn, t.playbooks),
            "notes": {r.note_id for r in await conn.execute(select(t.notes.c.note_id))},
        }


def expected_models(events: Sequence[Event]) -> dict[str, Any]:
    """The same, as the pure projections make them from these events, applied once each."""
    once = list({e.event_id: e for e in events}.values())
    return {
        "alerts": feed({}, once),
        "tiers": tiers({}, once),
        "playbooks": playbook_counts(once),
        "notes": {n.note_id for n in roadmap_notes(once)},
    }


async def mark_others_in_v2_only(engine: AsyncEngine, name: str, prospect_id: str) -> None:
    """Rows only version `name` holds: the prospect's tier, an alert raised in 2030, a
    playbook, the prospect's newest note."""
    t = versions.model_set(name)
    async with engine.begin() as conn:
        await conn.execute(delete(t.tiers).where(t.tiers.c.prospect_id == prospect_id))
        await conn.execute(
            insert(t.tiers).values(prospect_id=prospect_id, tier="Only-V2", upgraded_at=FAR)
        )
        alert = {"alert_id": str(uuid.uuid4()), "prospect_id": prospect_id, "raised_at": FAR}
        await conn.execute(
            insert(t.alerts).values(
                **alert,
                priority="URGENT",
                status="pending",
                target_stage=6,
                gap=4,
                repeats=1,
                escalated=False,
            )
        )
        await conn.execute(
            insert(t.playbooks).values(
                playbook_id=ONLY_IN_V2,
                variation_id="x",
                views=7,
                submissions=1,
                seconds_sum=10.0,
                seconds_count=1,
            )
        )
        note = {"note_id": str(uuid.uuid4()), "prospect_id": prospect_id, "recorded_at": FAR}
        await conn.execute(insert(t.notes).values(**note, text=ONLY_IN_V2, author="c@crm.io"))


def get(base: str, token: str, path: str, **params: Any) -> Any:
    answer = httpx.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def check_other_reads(base: str, token: str, prospect_id: str, card: dict[str, Any]) -> None:
    """The reads show what `mark_others_in_v2_only` wrote: they read the new version."""
    assert card["tier"] == "Only-V2"
    alerts = get(base, token, "/v1/analytics/alerts", **{"from": "2030-01-01", "to": "2030-01-01"})
    assert {p["priority"]: p["raised"] for p in alerts["priorities"]} == {"HIGH": 0, "URGENT": 1}
    playbooks = get(base, token, "/v1/analytics/playbooks")["playbooks"]
    assert ONLY_IN_V2 in [p["playbook_id"] for p in playbooks]
    notes = get(base, token, f"/v1/prospects/{prospect_id}/roadmap-notes")["notes"]
    assert notes[0]["text"] == ONLY_IN_V2


async def contents(engine: AsyncEngine, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a version, of every read model, by its role, rows in key order, without
    the time a row was written (all a rebuild may write differently)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for role, table in versions.model_set(name).roles().items():
            columns = [c for c in table.columns if c.name != "processed_at"]
            query = select(*columns).order_by(*table.primary_key.columns)
            out[role] = [tuple(r) for r in await conn.execute(query)]
    return out


async def pointer_and_versions(engine: AsyncEngine) -> tuple[str, list[str]]:
    async with engine.connect() as conn:
        return await versions.active_name(conn), await versions.board_versions(conn)


async def has_row(engine: AsyncEngine, name: str, prospect_id: str) -> bool:
    async with engine.connect() as conn:
        return await board_store.one_row(conn, prospect_id, versions.board_set(name)) is not None


async def processed(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as conn:
        query = text(f"SELECT count(*) FROM {name}_processed_events")
        return int((await conn.execute(query)).scalar_one())


async def noted(engine: AsyncEngine, name: str) -> set[str]:
    """The prospects with a roadmap note in version `name`."""
    notes = versions.model_set(name).notes
    async with engine.connect() as conn:
        return {r.prospect_id for r in await conn.execute(select(notes.c.prospect_id))}


async def table_names(engine: AsyncEngine) -> set[str]:
    def names(sync: Connection) -> set[str]:
        return set(inspect(sync).get_table_names())

    async with engine.connect() as conn:
        return await conn.run_sync(names)


async def mark_in_v2_only(engine: AsyncEngine, prospect_id: str, email: str) -> None:
    rows = versions.board_set(V2).rows
    async with engine.begin() as conn:
        await conn.execute(
            update(rows).where(rows.c.prospect_id == prospect_id).values(email=email)
        )


async def wait_until_built(engine: AsyncEngine, distinct: int) -> None:
    for _ in range(1200):
        if await processed(engine, V1) == distinct:
            return
        await asyncio.sleep(0.1)
    assert await processed(engine, V1) == distinct


async def wait_until_projected(engine: AsyncEngine, seeded: Sequence[Event]) -> None:
    """Until the live projections have applied every distinct seeded event of their topic."""
    want = {
        topics.ALERTS: distinct_on(seeded, topics.ALERTS),
        topics.BILLING: distinct_on(seeded, topics.BILLING),
        topics.CONTENT: distinct_on(seeded, topics.CONTENT),
        topics.PLANNING: distinct_on(seeded, topics.PLANNING),
    }
    for _ in range(600):
        if await projected(engine) == want:
            return
        await asyncio.sleep(0.1)
    assert await projected(engine) == want


async def projected(engine: AsyncEngine) -> dict[str, int]:
    """Events applied by the live projections besides the board's, by topic (notes: rows)."""
    t = versions.model_set(V1)
    async with engine.connect() as conn:

        async def count(table: Table) -> int:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())

        return {
            topics.ALERTS: await count(t.alerts_processed),
            topics.BILLING: await count(t.tiers_processed),
            topics.CONTENT: await count(t.playbooks_processed),
            topics.PLANNING: await count(t.notes),
        }
