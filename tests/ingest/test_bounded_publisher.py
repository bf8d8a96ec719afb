"""Ingest's bound on a publish: past it the request is answered (Stalled) while the publish goes
on; nothing new is handed over until it completes (Unavailable); then publishing resumes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from schemas.envelope import Event
from services.common.transport import Outgoing, Subscription
from services.ingest.publisher import BoundedPublisher, Stalled, Unavailable


class SlowLog:
    """A transport whose log takes events only once `back` is set."""

    def __init__(self) -> None:
        self.back = asyncio.Event()
        self.taken: list[Sequence[Event]] = []

    async def publish(self, events: Sequence[Event]) -> None:
        await self.back.wait()
        self.taken.append(events)

    async def publish_raw(self, messages: Sequence[Outgoing]) -> None:
        raise NotImplementedError

    def subscribe(self, subscription: Subscription) -> None:
        raise NotImplementedError

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def stalled(publisher: BoundedPublisher) -> bool:
    """Read afresh: mypy would keep `publisher.stalled` narrowed to True after the assert."""
    return publisher.stalled


async def test_past_the_bound_it_answers_and_hands_nothing_new_over_until_the_log_is_back() -> None:
    log = SlowLog()
    publisher = BoundedPublisher(log, bound_s=0.05)

    with pytest.raises(Stalled):
        await publisher.publish([])
    assert publisher.stalled
    with pytest.raises(Unavailable):
        await publisher.publish([])

    log.back.set()
    for _ in range(100):
        if not stalled(publisher):
            break
        await asyncio.sleep(0.01)
    assert not stalled(publisher)
    await publisher.publish([])
    assert len(log.taken) == 2  # the stalled one landed, then the next; the refused one never


async def test_a_publish_within_the_bound_is_simply_done_and_its_error_is_raised() -> None:
    log = SlowLog()
    log.back.set()
    publisher = BoundedPublisher(log, bound_s=1)
    await publisher.publish([])
    assert log.taken == [[]]

    class Broken(SlowLog):
        async def publish(self, events: Sequence[Event]) -> None:
            raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        await BoundedPublisher(Broken(), bound_s=1).publish([])
