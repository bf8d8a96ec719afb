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
    Select,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.catalogue import TOPIC_OF
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
    await conn.execute(text(_APPEND_LOCK), {"name": lock_name(journal)})
    conn.info[_HELD] = (_transaction(conn), journal.name)


def lock_name(journal: Table) -> str:
    """The key (`hashtext` of it) of the journal's advisory write lock, for a writer that takes
    it in its own statement."""
    return f"{journal.name}:append"


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
        # `serialize(e)` without `model_dump_json`'s keyword handling and its str round trip
        # (the same bytes: tests/journey/test_fast_paths.py); it runs for every event.
        payload = e.__pydantic_serializer__.to_json(e)
        text = payload.decode()
        rows.append((_event_id(e, text), e.subject_id, e.type, e.occurred_at, text))
        topic, headers = _ROUTE.get(e.type) or _route(e.type)
        messages.append(Outgoing(topic, e.subject_id.encode(), payload, headers))
    return Entries(rows, messages)


# Per event type: its topic and its message headers, made once.
_ROUTE: dict[str, tuple[str, tuple[tuple[str, bytes], ...]]] = {}


def _route(kind: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    found = _ROUTE[kind] = (TOPIC_OF[kind], (("type", kind.encode()),))
    return found


_ID_AT = len('{"event_id":"')


def _event_id(event: Event, payload: str) -> str:
    """`str(event.event_id)`, read from the payload the id opens (formatting a UUID costs a
    quarter of what serializing the whole event does)."""
    if payload.startswith('{"event_id":"') and payload[_ID_AT + 36 : _ID_AT + 37] == '"':
        return payload[_ID_AT : _ID_AT + 36]
    return str(event.event_id)


async def append(conn: AsyncConnection, journal: Table, events: Sequence[Event]) -> None:
    """Write `events` to the journal in the caller's transaction; the relay reads them back."""
    await write(conn, journal, entries(events))


async def append_for_relay(
    conn: AsyncConnection, journal: Table, events: Sequence[Event] | Entries
) -> Appended | None:
    """`append`, plus what `Relay.hand_over` needs, once the transaction has committed, to
    publish the events without reading them back (the journal stays the durable copy)."""
    written = events if isinstance(events, Entries) else entries(events)
    await write(conn, journal, written)
    return await appended(conn, journal, written.messages)


async def appended(
    conn: AsyncConnection, journal: Table, messages: Sequence[Outgoing]
) -> Appended | None:
    """What `append_for_relay` returns, once `messages` are the newest rows `write` wrote."""
    if not messages:
        return None
    # Under the journal lock no one else appends, so our rows are the newest ones.
    last = (await conn.execute(select(func.max(journal.c.seq)))).scalar_one()
    return Appended(int(last), tuple(messages))


async def write(conn: AsyncConnection, journal: Table, written: Entries) -> None:
    """Append serialized entries; a batch may be written in several parts, in order."""
    if written.rows:
        await lock_journal(conn, journal)
        await copy_rows(conn, journal, _JOURNAL_COLUMNS, written.rows)


def page(journal: Table, after: int, limit: int, until: int | None = None) -> Select[Any]:
    """The journal's rows past seq `after` (up to `until`), in order, `limit` at most: what a
    reader of the journal (the relay, the webhook notifier) takes next."""
    query = (
        select(
            journal.c.seq,
            journal.c.event_id,
            journal.c.subject_id,
            journal.c.type,
            journal.c.payload,
        )
        .where(journal.c.seq > after)
        .order_by(journal.c.seq)
        .limit(limit)
    )
    return query if until is None else query.where(journal.c.seq <= until)


def outgoing(row: Any) -> Outgoing:
    return Outgoing(
        TOPIC_OF[row.type],
        row.subject_id.encode(),
        row.payload.encode(),
        (("type", row.type.encode()),),
    )
