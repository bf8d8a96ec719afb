"""Idempotency keys that refuse a different body. A request's fingerprint (sha256 of a canonical
JSON form of what it asks) is kept with the id its key names; a retry with the same fingerprint
is the same request, one with another fingerprint is a client's mistake, refused (409) rather
than silently dropped as a duplicate."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection


def fingerprint(body: Any) -> str:
    """sha256 (hex) of `body` as canonical JSON: keys sorted, no spaces, UTF-8."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyReused(Exception):
    """The key (named by `field`) was used before with a different body."""

    def __init__(self, field: str, key: str):
        super().__init__(f"{field} {key!r} was already used with a different body")
        self.field, self.key = field, key


def commands_table(metadata: MetaData, service: str) -> Table:
    """The fingerprint of each command a service applied under an idempotency key."""
    return Table(
        f"{service}_commands",
        metadata,
        Column("command_id", String(36), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
    )


async def seen_command(
    conn: AsyncConnection, commands: Table, command_id: uuid.UUID, print_: str
) -> bool:
    """Whether the command was applied before with this fingerprint; raises KeyReused (naming
    the command id: the caller knows the key) if it was applied with another. Call it under the
    lock that serialises the service's commands."""
    query = select(commands.c.fingerprint).where(commands.c.command_id == str(command_id))
    stored = (await conn.execute(query)).scalar_one_or_none()
    if stored is None:
        return False
    if stored != print_:
        raise KeyReused("Idempotency-Key", str(command_id))
    return True


async def record_command(
    conn: AsyncConnection, commands: Table, command_id: uuid.UUID, print_: str
) -> None:
    """In the transaction that applies the command."""
    row = {"command_id": str(command_id), "fingerprint": print_, "recorded_at": datetime.now(UTC)}
    await conn.execute(insert(commands), row)
