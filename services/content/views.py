"""Views recorded in groups (group commit): the views that arrive while one group is being
written go into the next, in one transaction, so a busy gate pays one commit per group instead
of one per visitor. Each request still waits until its own view is durable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from schemas.content import GatedContentViewedV1

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
