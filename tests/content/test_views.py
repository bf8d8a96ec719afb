"""Group commit of the gate's views: views that arrive while a group is written go into the
next group; a failed group fails its own requests only; a request that goes away does not take
its group down with it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from schemas.content import GatedContentViewedV1
from services.content.views import GroupWriter


def view(visitor: str) -> GatedContentViewedV1:
    return GatedContentViewedV1(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        subject_id=visitor,
        playbook_id="p",
        variation_id="v",
    )


class Store:
    def __init__(self, fail_group: int | None = None) -> None:
        self.groups: list[list[str]] = []
        self.fail_group = fail_group
        self.release = asyncio.Event()

    async def write(self, viewed: Sequence[GatedContentViewedV1]) -> None:
        self.groups.append([v.subject_id for v in viewed])
        if len(self.groups) == 1:
            await self.release.wait()
        if len(self.groups) - 1 == self.fail_group:
            raise RuntimeError("the database went away")


async def test_views_arriving_during_a_write_go_together_into_the_next_group() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    first = asyncio.create_task(writer.record(view("a")))
    await asyncio.sleep(0)
    later = [asyncio.create_task(writer.record(view(v))) for v in "bcd"]
    await asyncio.sleep(0)
    store.release.set()
    await asyncio.gather(first, *later)
    assert store.groups == [["a"], ["b", "c", "d"]]


async def test_a_failed_group_fails_its_own_requests_and_the_next_group_is_written() -> None:
    store = Store(fail_group=1)
    writer = GroupWriter(store.write)
    first = asyncio.create_task(writer.record(view("a")))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(writer.record(view("b")))
    await asyncio.sleep(0)
    store.release.set()
    await first
    with pytest.raises(RuntimeError, match="went away"):
        await doomed
    await writer.record(view("c"))
    assert store.groups == [["a"], ["b"], ["c"]]


async def test_a_request_that_goes_away_does_not_cancel_the_others_write() -> None:
    store = Store()
    writer = GroupWriter(store.write)
    leaving = asyncio.create_task(writer.record(view("a")))
    await asyncio.sleep(0)
    staying = asyncio.create_task(writer.record(view("b")))
    await asyncio.sleep(0)
    leaving.cancel()
    store.release.set()
    await staying
    assert store.groups == [["a"], ["b"]]
