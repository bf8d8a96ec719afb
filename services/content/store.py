"""The content service's own tables: each playbook's current metadata (the fold of its
`playbook.metadata_set.v1` events), the generated copy cached per playbook, and its journal
(history and outbox)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.content import GatedContentViewedV1
from services.common.db import as_aware, as_utc
from services.common.idempotency import commands_table
from services.common.journal import journal_table, position_table
from services.content.domain import Cached, Copy, Playbook, Quote

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

playbooks = Table(
    "content_playbooks",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("metadata", Text, nullable=False),
    Column("version", String(36), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
copies = Table(
    "content_copies",
    metadata,
    Column("playbook_id", String(200), primary_key=True),
    Column("variation_id", String(36), nullable=False),
    Column("copy", Text, nullable=False),
    Column("playbook_version", String(36), nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
)
views = Table(
    "content_views",
    metadata,
    Column("playbook_id", String(200), primary_key=True),
    Column("visitor_id", String(200), primary_key=True),
    Column("variation_id", String(36), primary_key=True),
    Column("first_viewed_at", DateTime(timezone=True), nullable=False),
)
journal = journal_table(metadata, "content")
relay_position = position_table(metadata, "content")
commands = commands_table(metadata, "content")


def _upsert(conn: AsyncConnection, table: Table, key: str, row: dict[str, Any]) -> Any:
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    values = {k: v for k, v in row.items() if k != key}
    return insert.values(**row).on_conflict_do_update(index_elements=[key], set_=values)


async def save_playbook(conn: AsyncConnection, playbook: Playbook) -> None:
    document = {
        "title": playbook.title,
        "tagline": playbook.tagline,
        "domain_tags": list(playbook.domain_tags),
        "tone": playbook.tone,
        "body": playbook.body,
        "fallback_header": playbook.fallback_header,
        "fallback_paragraphs": list(playbook.fallback_paragraphs),
        "updated_by": playbook.updated_by,
    }
    row = {
        "id": playbook.id,
        "metadata": json.dumps(document),
        "version": playbook.version,
        "updated_at": as_utc(playbook.updated_at),
    }
    await conn.execute(_upsert(conn, playbooks, "id", row))


def _playbook(row: Any) -> Playbook:
    doc = json.loads(row.metadata)
    return Playbook(
        id=row.id,
        title=doc["title"],
        tagline=doc["tagline"],
        domain_tags=tuple(doc["domain_tags"]),
        tone=doc["tone"],
        body=doc["body"],
        fallback_header=doc["fallback_header"],
        fallback_paragraphs=tuple(doc["fallback_paragraphs"]),
        version=row.version,
        updated_at=as_aware(row.updated_at),
        updated_by=doc["updated_by"],
    )


async def playbook(conn: AsyncConnection, playbook_id: str) -> Playbook | None:
    row = (await conn.execute(select(playbooks).where(playbooks.c.id == playbook_id))).first()
    return None if row is None else _playbook(row)


async def all_playbooks(conn: AsyncConnection) -> list[Playbook]:
    rows = (await conn.execute(select(playbooks).order_by(playbooks.c.id))).all()
    return [_playbook(r) for r in rows]


async def cached_copy(conn: AsyncConnection, playbook_id: str) -> Cached | None:
    row = (await conn.execute(select(copies).where(copies.c.playbook_id == playbook_id))).first()
    if row is None:
        return None
    doc = json.loads(row.copy)
    quote = Quote(doc["quote"]["text"], doc["quote"]["author"]) if doc["quote"] else None
    return Cached(
        row.variation_id,
        Copy(doc["header"], tuple(doc["paragraphs"]), quote),
        row.playbook_version,
        as_aware(row.generated_at),
    )


async def keep_copy(conn: AsyncConnection, playbook_id: str, cached: Cached) -> None:
    copy = cached.copy
    quote = {"text": copy.quote.text, "author": copy.quote.author} if copy.quote else None
    document = {"header": copy.header, "paragraphs": list(copy.paragraphs), "quote": quote}
    row = {
        "playbook_id": playbook_id,
        "variation_id": cached.variation_id,
        "copy": json.dumps(document),
        "playbook_version": cached.playbook_version,
        "generated_at": as_utc(cached.generated_at),
    }
    await conn.execute(_upsert(conn, copies, "playbook_id", row))


async def remember_views(conn: AsyncConnection, viewed: Sequence[GatedContentViewedV1]) -> None:
    """The first time each visitor was shown each variation (later views keep it)."""
    if not viewed:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(views)
    rows = [
        {
            "playbook_id": v.playbook_id,
            "visitor_id": v.subject_id,
            "variation_id": v.variation_id,
            "first_viewed_at": as_utc(v.occurred_at),
        }
        for v in viewed
    ]
    await conn.execute(insert.on_conflict_do_nothing(), rows)


async def view_of(
    conn: AsyncConnection, playbook_id: str, visitor_id: str, variation_id: str | None
) -> tuple[str, datetime] | None:
    """The variation this visitor was shown (the one named, else the latest first shown) and
    when it was first shown to them."""
    query = select(views.c.variation_id, views.c.first_viewed_at).where(
        views.c.playbook_id == playbook_id, views.c.visitor_id == visitor_id
    )
    if variation_id is not None:
        query = query.where(views.c.variation_id == variation_id)
    row = (await conn.execute(query.order_by(views.c.first_viewed_at.desc()).limit(1))).first()
    return None if row is None else (row.variation_id, as_aware(row.first_viewed_at))


async def forget_copy(conn: AsyncConnection, playbook_id: str) -> bool:
    done = await conn.execute(delete(copies).where(copies.c.playbook_id == playbook_id))
    return bool(done.rowcount)
