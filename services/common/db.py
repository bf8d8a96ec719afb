"""Database engines, Alembic migrations per service, and the processed-event ledger that makes
consumers idempotent. SQLite (embedded) and PostgreSQL (production) behind one async engine."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from schemas.envelope import Event
from services.common.sqlite_bulk import insert_many


def async_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    if parsed.drivername == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.resolve()}"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # asyncpg keeps prepared statements per connection; PostgreSQL's cached generic plans, made
    # while tables were empty, then scan whole tables for good (measured: alert latency p99
    # 146-370 ms with them, 94 ms without). Simple statements re-plan cheaply.
    connect_args = {"server_settings": {"plan_cache_mode": "force_custom_plan"}}
    # No pre-ping: it is a round trip per checkout, on the latency path of every batch. A
    # connection that died with the server fails its statement once, SQLAlchemy then recycles
    # the pool, and the consumer retries (a transient error).
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(
        url, pool_size=10, max_overflow=10, connect_args=connect_args, **kwargs
    )


async def database_ready(engine: AsyncEngine) -> bool:
    """Readiness: the database answers."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return True


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """FULL: a commit is on disk before it returns. With NORMAL (until 2026-12), a consumer's
    effects committed here could be lost to a power cut or OS crash while the embedded log's
    offset commit after them (FULL) survived: those events would never be handled again. The
    cost is one fsync per commit, and consumers commit once a batch."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def migrate(engine: AsyncEngine, service: str, script_location: Path) -> None:
    """Upgrade `service`'s tables to the newest migration. Each service has its own Alembic
    history and version table, so services migrate independently in a shared database."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = f"alembic_version_{service}"

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Instances of one service starting together (two journeys) would both create its
            # tables, and the second fail: one migrates at a time, the next finds it done.
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": f"migrate:{service}"}
            )
        await conn.run_sync(upgrade)


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode, on a given connection)."""
    from alembic import context

    config = context.config
    context.configure(
        connection=config.attributes["connection"],
        target_metadata=target_metadata,
        version_table=config.attributes["version_table"],
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def among(conn: AsyncConnection, column: Any, values: Sequence[str]) -> Any:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one bind parameter whatever the
    count, so the statement is prepared once instead of once per batch size."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(list(values))


def processed_events_table(metadata: MetaData, service: str) -> Table:
    """Ids of the events a service has applied; written in the same transaction as the effects."""
    return Table(
        f"{service}_processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


async def unprocessed(conn: AsyncConnection, ledger: Table, events: Sequence[Event]) -> list[Event]:
    """The events not yet applied, in order, without duplicates within the batch."""
    ids = [str(e.event_id) for e in events]
    seen: set[str] = set()
    for chunk in range(0, len(ids), 5000):
        rows = await conn.execute(
            select(ledger.c.event_id).where(
                among(conn, ledger.c.event_id, ids[chunk : chunk + 5000])
            )
        )
        seen.update(r[0] for r in rows)
    fresh = []
    for e, key in zip(events, ids, strict=True):
        if key not in seen:
            seen.add(key)
            fresh.append(e)
    return fresh


async def claim(conn: AsyncConnection, ledger: Table, events: Sequence[Event]) -> list[Event]:
    """`unprocessed`, and the fresh ones marked processed, in the caller's transaction: on
    PostgreSQL one statement (`INSERT .. ON CONFLICT DO NOTHING RETURNING`) instead of a lookup
    and a COPY, and a concurrent claim of the same id waits for the first to commit or roll back
    instead of failing on the key."""
    if conn.dialect.name != "postgresql":
        fresh = await unprocessed(conn, ledger, events)
        await mark_processed(conn, ledger, [e.event_id for e in fresh])
        return fresh
    ids = [str(e.event_id) for e in events]
    driver = await _driver(conn)
    rows = await driver.fetch(_claiming(ledger, "event_id"), ids, datetime.now(UTC))
    claimed = {r[0] for r in rows}
    fresh = []
    for e, key in zip(events, ids, strict=True):
        if key in claimed:
            claimed.discard(key)  # a duplicate within the batch is applied once
            fresh.append(e)
    return fresh


def _claiming(ledger: Table, returning: str) -> str:
    """Insert the ids ($1) not in the ledger yet, processed at $2; return `returning` of each."""
    return (
        f"INSERT INTO {ledger.name} (event_id, processed_at) SELECT unnest($1::text[]), "
        f"$2::timestamptz ON CONFLICT (event_id) DO NOTHING RETURNING {returning}"
    )


class AlreadyApplied(Exception):
    """`claim_all` found events of the batch applied before."""


async def claim_all(conn: AsyncConnection, ledger: Table, events: Sequence[Event]) -> None:
    """Mark every event of the batch processed, or raise AlreadyApplied (the caller rolls back
    and claims again with `claim`). For a caller that decides the batch while this runs: a batch
    without repeats, the usual case, then costs the database's time only, not the caller's."""
    ids = [str(e.event_id) for e in events]
    if conn.dialect.name != "postgresql":
        if len(await claim(conn, ledger, events)) != len(ids):
            raise AlreadyApplied
        return
    driver = await _driver(conn)
    counting = f"WITH claimed AS ({_claiming(ledger, '1')}) SELECT count(*) FROM claimed"
    inserted = await driver.fetchval(counting, ids, datetime.now(UTC))
    if inserted != len(ids):
        raise AlreadyApplied


async def mark_processed(conn: AsyncConnection, ledger: Table, ids: Sequence[uuid.UUID]) -> None:
    now = datetime.now(UTC)
    await copy_rows(conn, ledger, ("event_id", "processed_at"), [(str(i), now) for i in ids])


async def bulk_insert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in the connection's transaction; on PostgreSQL by binary COPY, several
    times faster than a prepared INSERT per row. Columns left out take their defaults."""
    if rows:
        columns = tuple(rows[0])
        await copy_rows(conn, table, columns, [tuple(r[c] for c in columns) for r in rows])


async def copy_rows(
    conn: AsyncConnection,
    table: Table,
    columns: Sequence[str],
    records: Sequence[tuple[Any, ...]],
) -> None:
    """`bulk_insert` of rows given as tuples in `columns` order: no dicts to build and unpack."""
    if not records:
        return
    if conn.dialect.name != "postgresql":
        await insert_many(conn, table, columns, records)
        return
    driver = await _driver(conn)
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn`, inside `conn`'s transaction: SQLAlchemy's adapter
    begins it with the first statement it runs itself, and a statement run on the driver before
    that would commit on its own."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if conn.in_transaction() and not driver.is_in_transaction():
        await conn.execute(text("SELECT 1"))
    return driver


class InOrder:
    """Statements for one connection, run one after another in the background while the caller
    computes the input of the next ones, so the database and Python work at the same time. The
    caller yields (`await asyncio.sleep(0)`) now and then for them to progress, and awaits
    `finish` (or `settle`, when giving up) before its transaction ends."""

    def __init__(self) -> None:
        self._last: asyncio.Future[None] | None = None

    def then(self, statement: Callable[[], Awaitable[None]]) -> None:
        previous = self._last

        async def run() -> None:
            if previous is not None:
                await previous  # a failure stops the rest and reaches `finish`
            await statement()

        self._last = asyncio.ensure_future(run())

    async def finish(self) -> None:
        """Wait for every statement; raises the first failure."""
        if self._last is not None:
            await self._last

    async def settle(self) -> BaseException | None:
        """Wait for the statements in flight, whatever they end with: before a rollback, which
        must not meet a statement still running on the connection. Returns their failure."""
        if self._last is not None:
            await asyncio.wait([self._last])
            if not self._last.cancelled():
                return self._last.exception()
        return None


def chunks(items: Sequence[str], size: int = 5000) -> Iterable[Sequence[str]]:
    """`items` in slices small enough for one statement's parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def as_utc(at: datetime) -> datetime:
    """For writing: SQLite keeps datetimes as text without an offset, so one zone makes them
    compare right."""
    return at.astimezone(UTC)


def as_aware(at: datetime) -> datetime:
    """For reading: SQLite gives naive datetimes back; they were written in UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
