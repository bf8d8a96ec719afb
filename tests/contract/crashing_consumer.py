"""A consumer that records each event it is handed, then hangs before its batch can commit.
The contract test kills it with SIGKILL: a crash between the handler's work and the commit."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from schemas import topics
from schemas.envelope import Event
from services.common.transport import Subscription
from tests.contract.logs import LogUnderTest


async def main(kind: str, address: str, namespace: str, group: str, out: str) -> None:
    async def record_then_hang(events: Sequence[Event]) -> None:
        with Path(out).open("a") as f:
            f.writelines(f"{e.event_id}\n" for e in events)
        await asyncio.Event().wait()

    transport = LogUnderTest(kind, address, namespace).transport()
    transport.subscribe(Subscription(group, (topics.WEB,), record_then_hang))
    await transport.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
