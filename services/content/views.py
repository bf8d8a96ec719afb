"""Views recorded in groups (group commit): the views that arrive while one group is being
written go into the next, in one transaction, so a busy gate pays one commit per group instead
of one per visitor. Each request still waits until its own view is durable. On PostgreSQL a
group is one statement (`write_at_once`): one round trip instead of eight."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas.content import GatedContentViewedV1
from services.common.db import as_utc
from services.common.journal import Appended, entries, lock_name

Write = Callable[[Sequence[GatedContentViewedV1]], Awaitable[None]]


class GroupWriter:
    def __init__(self, write: Write, *, max_group: int = 500):
        self._write, self._max_group = write, max_group
        self._pending: list[tuple[GatedContentViewedV1, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def record(self, viewed: GatedContentViewedV1) -> None:
        """Returns once `viewed` is written; raises what writing its group raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((viewed, done))
        if self._draining is None or self._draining.done():
            # A task of its own: a request that goes away does not cancel the others' group.
            self._draining = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self._pending:
            group = self._pending[: self._max_group]
            del self._pending[: self._max_group]
            try:
                await self._write([viewed for viewed, _ in group])
            except BaseException as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, done in group:
                    if not done.done():
                        done.set_result(None)


def _statement(journal: Table, views: Table) -> str:
    # The lock is a CTE joined to the rows, so it is held before the first row reaches the
    # insert (and its `seq`): appends stay in commit order, as `lock_journal` keeps them.
    return f"""
WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext($1))),
appended AS (
  INSERT INTO {journal.name} (event_id, subject_id, type, occurred_at, payload)
  SELECT u.e, u.s, u.t, u.o, u.p
  FROM locked, unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
    WITH ORDINALITY AS u(e, s, t, o, p, n)
  ORDER BY u.n
  RETURNING seq
),
first_seen AS (
  INSERT INTO {views.name} (playbook_id, visitor_id, variation_id, first_viewed_at)
  SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::timestamptz[])
  ON CONFLICT DO NOTHING
)
SELECT max(seq) FROM appended"""


async def write_at_once(
    engine: AsyncEngine, journal: Table, views: Table, viewed: Sequence[GatedContentViewedV1]
) -> Appended | None:
    """PostgreSQL only: journal the views and note first views in one statement, its own
    transaction (run on the driver, outside SQLAlchemy's, so no BEGIN and COMMIT round trips),
    under the journal's write lock."""
    if not viewed:
        return None
    written = entries(viewed)
    rows = list(zip(*written.rows, strict=True))
    firsts = [
        [v.playbook_id for v in viewed],
        [v.subject_id for v in viewed],
        [v.variation_id for v in viewed],
        [as_utc(v.occurred_at) for v in viewed],
    ]
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        last = await driver.fetchval(
            _statement(journal, views), lock_name(journal), *map(list, rows), *firsts
        )
    return Appended(int(last), tuple(written.messages))
