"""The journal side of the transactional outbox: a service appends the events it decides to its
own journal in the same transaction as its state (see `services.common.outbox.Relay` for the
publishing side)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import TOPIC_OF, serialize
from schemas.envelope import Event
from services.common.db import copy_rows
from services.common.transport import Outgoing

# Sequence numbers must be assigned in commit order, or the relay could step over a row that a
# slower transaction commits later. One advisory lock per journal serialises appends (PostgreSQL;
# SQLite serialises writers by itself).
_APPEND_LOCK = "SELECT pg_advisory_xact_lock(hashtext(:name))"
_HELD = "crm_journal_lock_held"
_JOURNAL_COLUMNS = ("event_id", "subject_id", "type", "occurred_at", "payload")


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
    if conn.dialect.name != "postgresql":
        return
    # Taken once per transaction: `append` asks again, and a round trip costs on the latency path.
    held = (_transaction(conn), journal.name)
    if held[0] is not None and conn.info.get(_HELD) == held:
        return
    await conn.execute(text(_APPEND_LOCK), {"name": f"{journal.name}:append"})
    conn.info[_HELD] = (_transaction(conn), journal.name)


def _transaction(conn: AsyncConnection) -> Any:
    return conn.sync_connection.get_transaction() if conn.sync_connection else None


@dataclass(frozen=True)
class Appended:
    """Journal rows one transaction wrote: seqs `last_seq - len(messages) + 1 .. last_seq`, and
    the same events ready to publish, so the relay need not read back what was just written."""

    last_seq: int
    messages: tuple[Outgoing, ...]


@dataclass(frozen=True)
class Entries:
    """Events serialized for the journal (rows) and for the log (messages): CPU work that a
    caller may do while the database is busy with its previous statement."""

    rows: list[tuple[Any, ...]]
    messages: list[Outgoing]


def entries(events: Sequence[Event]) -> Entries:
    rows = []
    messages = []
    for e in events:
        payload = serialize(e)
        rows.append((str(e.event_id), e.subject_id, e.type, e.occurred_at, payload.decode()))
        messages.append(
            Outgoing(TOPIC_OF[e.type], e.subject_id.encode(), payload, (("type", e.type.encode()),))
        )
    return Entries(rows, messages)


async def append(conn: AsyncConnection, journal: Table, events: Sequence[Event]) -> None:
    """Write `events` to the journal in the caller's transaction; the relay reads them back."""
    await _write(conn, journal, entries(events))


async def append_for_relay(
    conn: AsyncConnection, journal: Table, events: Sequence[Event] | Entries
) -> Appended | None:
    """`append`, plus what `Relay.hand_over` needs, once the transaction has committed, to
    publish the events without reading them back (the journal stays the durable copy)."""
    written = events if isinstance(events, Entries) else entries(events)
    if not written.rows:
        return None
    await _write(conn, journal, written)
    # Under the journal lock no one else appends, so our rows are the newest ones.
    last = (await conn.execute(select(func.max(journal.c.seq)))).scalar_one()
    return Appended(int(last), tuple(written.messages))


async def _write(conn: AsyncConnection, journal: Table, written: Entries) -> None:
    if written.rows:
        await lock_journal(conn, journal)
        await copy_rows(conn, journal, _JOURNAL_COLUMNS, written.rows)


def outgoing(row: Any) -> Outgoing:
    return Outgoing(
        TOPIC_OF[row.type],
        row.subject_id.encode(),
        row.payload.encode(),
        (("type", row.type.encode()),),
    )
