"""Which version of the read models reads and the live projections use. A rebuild (`crm-journey
replay projections`) fills a fresh version's tables beside the active ones, then switches the
pointer here; the old tables stay until dropped. A version is named by its board table; the one
pointer (and the one lock) cover every read model of it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.projections.tables import board as board_store
from services.projections.tables.read_models import V1, ReadModels, read_models

BOARD = "board"
BOARD_PREFIX = board_store.BOARD_PREFIX
_VERSION = re.compile(rf"^{BOARD_PREFIX}(\d+)$")
# One key for every version of every read model: the live writers and a switch exclude each
# other whichever version any of them is about to write.
_PG_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('projections_board:write'))")

metadata = MetaData()
READ_MODELS = Table(
    "projections_read_models",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("active", String(100), nullable=False),
    Column("switched_at", DateTime(timezone=True), nullable=False),
)

_known: dict[str, ReadModels] = {board_store.BOARD_V1: V1}


class VersionRefused(ValueError):
    """A version that cannot be dropped: the active one, or none of the board's."""


def model_set(table_name: str) -> ReadModels:
    """The tables of one version, named by its board table, described once per process."""
    found = _known.get(table_name)
    if found is None:
        number = version_number(table_name)
        if number is None:
            raise ValueError(f"not a read-model version: {table_name!r}")
        found = _known[table_name] = read_models(number, MetaData())
    return found


def board_set(table_name: str) -> board_store.BoardTables:
    """The board's tables of one version."""
    return model_set(table_name).board


def tables_of(tables: board_store.BoardTables | ReadModels) -> list[Table]:
    """Every table of a version: of all its read models, or of its board alone."""
    if isinstance(tables, ReadModels):
        return tables.tables()
    return [tables.rows, tables.merged, tables.processed, tables.transitions]


def version_name(number: int) -> str:
    return f"{BOARD_PREFIX}{number}"


def version_number(name: str) -> int | None:
    found = _VERSION.match(name)
    return int(found.group(1)) if found else None


async def lock_board(conn: AsyncConnection) -> None:
    """Take the read models' write lock until the transaction ends; take it before reading
    anything. Every live projection takes it, so a switch never passes a batch by.
    On SQLite a no-op write takes the database's write lock at once, so a transaction never
    reads the pointer, then writes after a switch has committed."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_PG_LOCK)
    else:
        await conn.execute(
            update(READ_MODELS).where(READ_MODELS.c.name == BOARD).values(name=READ_MODELS.c.name)
        )


async def active_name(conn: AsyncConnection) -> str:
    query = select(READ_MODELS.c.active).where(READ_MODELS.c.name == BOARD)
    return (await conn.execute(query)).scalar_one_or_none() or board_store.BOARD_V1


async def active_board(conn: AsyncConnection) -> board_store.BoardTables:
    """The board version reads use now."""
    return board_set(await active_name(conn))


async def active_models(conn: AsyncConnection) -> ReadModels:
    """The version of every read model that reads and the live projections use now."""
    return model_set(await active_name(conn))


@contextlib.asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[tuple[AsyncConnection, ReadModels]]:
    """A live projection's transaction: the read models' lock taken first, then the active
    version looked up under it."""
    async with engine.begin() as conn:
        await lock_board(conn)
        yield conn, await active_models(conn)


async def board_versions(conn: AsyncConnection) -> list[str]:
    """The board versions whose tables exist, oldest first."""

    def names(sync: Connection) -> list[str]:
        return inspect(sync).get_table_names()

    found = [n for n in await conn.run_sync(names) if version_number(n) is not None]
    return sorted(found, key=lambda n: version_number(n) or 0)


async def create_next(engine: AsyncEngine) -> ReadModels:
    """Fresh, empty tables for the next version (the highest existing + 1). Under the board's
    lock, so two rebuilds started at once get different versions."""
    async with engine.begin() as conn:
        await lock_board(conn)
        existing = [version_number(n) or 0 for n in await board_versions(conn)]
        existing.append(version_number(await active_name(conn)) or 0)
        tables = model_set(version_name(max(existing) + 1))

        def create(sync: Connection) -> None:
            tables.board.rows.metadata.create_all(sync, tables=tables.tables(), checkfirst=False)

        await conn.run_sync(create)
    return tables


async def switch(conn: AsyncConnection, name: str) -> None:
    """Point reads and the live projection at `name`; call under `lock_board`."""
    now = datetime.now(UTC)
    done = await conn.execute(
        update(READ_MODELS).where(READ_MODELS.c.name == BOARD).values(active=name, switched_at=now)
    )
    if done.rowcount == 0:
        await conn.execute(insert(READ_MODELS).values(name=BOARD, active=name, switched_at=now))


async def drop(engine: AsyncEngine, name: str) -> None:
    """Drop the tables of a version reads no longer use. Raises VersionRefused for the active
    version and for a name that is no board version here."""
    async with engine.begin() as conn:
        await lock_board(conn)
        if name == await active_name(conn):
            raise VersionRefused(f"{name} is the active board version; switch away from it first")
        if name not in await board_versions(conn):
            raise VersionRefused(f"no board version {name!r} here")
        # A MetaData of its own: version 1's shares one with tables of no version.
        doomed = read_models(version_number(name) or 0, MetaData())

        def remove(sync: Connection) -> None:
            doomed.board.rows.metadata.drop_all(sync, checkfirst=True)

        await conn.run_sync(remove)
