"""One generation per playbook across every content instance that shares the database: a
PostgreSQL session advisory lock per playbook, held on its own connection while the model is
asked. An instance that finds the lease taken does not call the model: it watches the copies
table for the copy the holder stores (see `Content._generated_elsewhere`). SQLite means one
process, where the in-process single flight already suffices."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

# The two-key form of advisory locks: a space of its own, apart from the journals' one-key
# locks; the first key says "content generation", the second is the playbook id's hash.
GENERATION = 0x636F6E74  # "cont"
_TRY = "SELECT pg_try_advisory_lock($1::int4, hashtext($2))"
_UNLOCK = "SELECT pg_advisory_unlock($1::int4, hashtext($2))"
# How often an instance waiting on another one's generation looks for the copy it stores.
POLL_S = 0.1
T = TypeVar("T")


class GenerationLease:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.shared = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def hold(self, playbook_id: str) -> AsyncIterator[bool]:
        """True while this instance holds the playbook's lease (always, without PostgreSQL);
        False when another instance does. Released on exit, or by PostgreSQL if the connection
        dies."""
        if not self.shared:
            yield True
            return
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            held = bool(await driver.fetchval(_TRY, GENERATION, playbook_id))
            try:
                yield held
            finally:
                if held:
                    await driver.fetchval(_UNLOCK, GENERATION, playbook_id)

    async def taken(self, playbook_id: str) -> bool:
        """Whether another instance holds the lease now."""
        async with self.hold(playbook_id) as mine:
            return not mine

    async def wait(
        self, playbook_id: str, fresh: Callable[[], Awaitable[T | None]], budget_s: float
    ) -> T | None:
        """What `fresh()` finds once the holder has stored it, within `budget_s`; None if the
        holder lets go without storing any (its generation failed) or the budget runs out."""
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            if (found := await fresh()) is not None:
                return found
            if not await self.taken(playbook_id):
                return await fresh()  # stored just before it let go, or nothing
        return None
