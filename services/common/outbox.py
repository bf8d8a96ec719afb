"""The transactional outbox: a service appends the events it decides to its own journal in the
same transaction as its state; a relay publishes the journal in order. Nothing is published that
was not stored, and nothing stored is lost if the process dies before publishing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.journal import Appended, outgoing, page
from services.common.transport import Outgoing, Transport
from services.common.worker import Worker, woken


class Relay:
    """Publishes a journal to the transport in order, remembering how far it got. Batches this
    process has just committed are handed over and published from memory; what it was not handed
    (written elsewhere, before a restart, or past the backlog cap) is read from the journal. The
    saved position trails by up to `save_every_s`: after a crash that much is published again,
    and consumers drop the repeats by event id."""

    def __init__(
        self,
        engine: AsyncEngine,
        journal: Table,
        position: Table,
        transport: Transport,
        *,
        batch: int = 2000,
        idle_s: float = 0.5,
        save_every_s: float = 1.0,
        backlog: int = 50_000,
    ):
        self.engine, self.journal, self.position, self.transport = (
            engine,
            journal,
            position,
            transport,
        )
        self.batch, self.idle_s, self.save_every_s, self.backlog = (
            batch,
            idle_s,
            save_every_s,
            backlog,
        )
        self._wake = asyncio.Event()
        # One relay per journal across instances: whoever holds the leader lock.
        self._worker = Worker(
            f"relay:{journal.name}",
            self._relay_once,
            leader_lock=(engine, f"{journal.name}:relay"),
            forget=self._forget,
        )
        self._handed: deque[Appended] = deque()
        self._handed_messages = 0
        self._read_journal = True
        self.published: int | None = None  # the last seq published, known while relaying
        self._saved: int | None = None
        self._saved_at = 0.0

    def wake(self) -> None:
        """Something was appended that was not handed over: read the journal."""
        self._read_journal = True
        self._wake.set()

    def hand_over(self, appended: Appended | None) -> None:
        """Journal rows whose transaction has committed (never before: a rolled-back batch must
        not be published), to publish without reading them back."""
        if appended is None:
            return
        size = len(appended.messages)
        if self.published is not None and self._handed_messages + size <= self.backlog:
            self._handed.append(appended)
            self._handed_messages += size
        else:
            self._read_journal = True
        self._wake.set()

    async def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        if self._worker.started:
            await self._worker.stop()
            with contextlib.suppress(Exception):
                await self._save_position(force=True)
            self._forget()

    async def publish_pending(self, until: int | None = None) -> int:
        """Publish what the journal holds past the published position (up to seq `until`);
        returns how many."""
        if self.published is None:
            async with self.engine.connect() as conn:
                self.published = self._saved = await self._last(conn)
        query = page(self.journal, self.published, self.batch, until)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        if rows:
            await self.transport.publish_raw([outgoing(r) for r in rows])
            self.published = int(rows[-1].seq)
        return len(rows)

    async def _publish_handed(self) -> int:
        """Publish the handed-over batches that continue the published position."""
        messages: list[Outgoing] = []
        last = self.published
        while self._handed and last is not None and len(messages) < self.batch:
            head = self._handed[0]
            start = head.last_seq - len(head.messages)  # the seq before its first
            if start > last:
                self._read_journal = True  # a gap: rows this process was not handed
                break
            self._handed.popleft()
            self._handed_messages -= len(head.messages)
            if head.last_seq > last:
                # Past what is published; the journal, read meanwhile, may have published its
                # first rows already.
                messages.extend(head.messages[last - start :])
                last = head.last_seq
        if messages:
            await self.transport.publish_raw(messages)
            self.published = last
        return len(messages)

    async def _relay_once(self) -> None:
        self._wake.clear()
        done = await self._publish_handed()
        if not done and (self._read_journal or self._handed):
            self._read_journal = False
            # Only up to the first batch handed over: from there on, the handed ones (the
            # journal read back costs several times more, and may never catch up).
            head = self._handed[0] if self._handed else None
            until = head.last_seq - len(head.messages) if head is not None else None
            done = await self.publish_pending(until)
            if not done and until is not None:
                # Nothing before the handed batch: a hole in the seqs (a rolled-back
                # transaction's, on PostgreSQL). Read past it, the handed rows included.
                done = await self.publish_pending()
            self._read_journal = done > 0  # keep reading while the journal has more
        if done:
            await self._save_position(force=False)
            return
        if not await woken(self._wake, self.idle_s):
            self._read_journal = True  # idle: look for rows written by other processes
            await self._save_position(force=True)

    def _forget(self) -> None:
        self.published = self._saved = None
        self._handed.clear()
        self._handed_messages = 0
        self._read_journal = True

    async def _save_position(self, *, force: bool) -> None:
        seq = self.published
        if seq is None or seq == self._saved:
            return
        if not force and time.monotonic() - self._saved_at < self.save_every_s:
            return
        async with self.engine.begin() as conn:
            await self._save(conn, seq)
        self._saved, self._saved_at = seq, time.monotonic()

    async def _last(self, conn: AsyncConnection) -> int:
        row = (
            await conn.execute(
                select(self.position.c.seq).where(self.position.c.name == self.journal.name)
            )
        ).first()
        return int(row[0]) if row else 0

    async def _save(self, conn: AsyncConnection, seq: int) -> None:
        done = await conn.execute(
            update(self.position).where(self.position.c.name == self.journal.name).values(seq=seq)
        )
        if done.rowcount == 0:
            await conn.execute(insert(self.position).values(name=self.journal.name, seq=seq))
