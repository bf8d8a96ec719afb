"""The transactional outbox: a service appends the events it decides to its own journal in the
same transaction as its state; a relay publishes the journal in order. Nothing is published that
was not stored, and nothing stored is lost if the process dies before publishing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.catalogue import TOPIC_OF, serialize
from schemas.envelope import Event
from services.common.db import bulk_insert
from services.common.transport import Outgoing, Transport

log = logging.getLogger(__name__)

# Sequence numbers must be assigned in commit order, or the relay could step over a row that a
# slower transaction commits later. One advisory lock per journal serialises appends (PostgreSQL;
# SQLite serialises writers by itself).
_APPEND_LOCK = "SELECT pg_advisory_xact_lock(hashtext(:name))"
_LEADER_LOCK = "SELECT pg_try_advisory_lock(hashtext(:name))"


def journal_table(metadata: MetaData, service: str) -> Table:
    """Every event the service decided, in order: its timeline and its outbox."""
    return Table(
        f"{service}_journal",
        metadata,
        Column(
            "seq",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject_id", String(200), nullable=False, index=True),
        Column("type", String(100), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("payload", Text, nullable=False),
    )


def position_table(metadata: MetaData, service: str) -> Table:
    return Table(
        f"{service}_relay_position",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("seq", BigInteger, nullable=False),
    )


async def lock_journal(conn: AsyncConnection, journal: Table) -> None:
    """Take the journal's write lock until the transaction ends. Taken first, it also makes the
    service's whole read-decide-write transaction exclusive, so no update is lost to a race."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(_APPEND_LOCK), {"name": f"{journal.name}:append"})


async def append(conn: AsyncConnection, journal: Table, events: Sequence[Event]) -> None:
    if not events:
        return
    await lock_journal(conn, journal)
    await bulk_insert(
        conn,
        journal,
        [
            {
                "event_id": str(e.event_id),
                "subject_id": e.subject_id,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "payload": serialize(e).decode(),
            }
            for e in events
        ],
    )


class Relay:
    """Publishes a journal to the transport in order, remembering how far it got."""

    def __init__(
        self,
        engine: AsyncEngine,
        journal: Table,
        position: Table,
        transport: Transport,
        *,
        batch: int = 2000,
        idle_s: float = 0.5,
    ):
        self.engine, self.journal, self.position, self.transport = (
            engine,
            journal,
            position,
            transport,
        )
        self.batch, self.idle_s = batch, idle_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"relay:{self.journal.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def publish_pending(self) -> int:
        """Publish what the journal holds past the saved position; returns how many."""
        async with self.engine.connect() as conn:
            last = await self._last(conn)
            rows = (
                await conn.execute(
                    select(
                        self.journal.c.seq,
                        self.journal.c.subject_id,
                        self.journal.c.type,
                        self.journal.c.payload,
                    )
                    .where(self.journal.c.seq > last)
                    .order_by(self.journal.c.seq)
                    .limit(self.batch)
                )
            ).all()
        if not rows:
            return 0
        await self.transport.publish_raw([_outgoing(r) for r in rows])
        async with self.engine.begin() as conn:
            await self._save(conn, rows[-1].seq)
        return len(rows)

    async def _run(self) -> None:
        while True:
            try:
                async with self._leadership():
                    await self._relay()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay of %s failed, will retry: %r", self.journal.name, exc)
                await asyncio.sleep(1.0)

    async def _relay(self) -> None:
        while True:
            self._wake.clear()
            if await self.publish_pending() < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_s)

    @contextlib.asynccontextmanager
    async def _leadership(self) -> AsyncIterator[None]:
        if self.engine.dialect.name != "postgresql":
            yield
            return
        # One relay per journal across instances: whoever holds a session advisory lock. The
        # connection is closed, not pooled, afterwards: the lock lives as long as the session.
        async with self.engine.connect() as conn:
            try:
                while not (  # noqa: ASYNC110 - polling a database lock, no event to wait on
                    await conn.execute(text(_LEADER_LOCK), {"name": f"{self.journal.name}:relay"})
                ).scalar():
                    await asyncio.sleep(2.0)
                yield
            finally:
                await conn.invalidate()

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


def _outgoing(row: Any) -> Outgoing:
    return Outgoing(
        TOPIC_OF[row.type],
        row.subject_id.encode(),
        row.payload.encode(),
        (("type", row.type.encode()),),
    )
