"""Every service's SQLite database commits to disk before a commit returns (synchronous=FULL),
as the embedded log does: a consumer's effects must be as durable as the offset committed after
them, or a power cut could lose effects of events the log counts as handled."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from services.common.db import create_engine, sqlite_url
from services.common.embedded_log import EmbeddedLog

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


async def test_a_service_database_and_the_embedded_log_both_commit_to_disk(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "service.db"))
    try:
        async with engine.connect() as conn:
            service = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
    finally:
        await engine.dispose()
    log = EmbeddedLog(tmp_path / "events.db")
    await log.start()
    try:
        writer = log._require_writer()
        async with writer.execute("PRAGMA synchronous") as cursor:
            row = await cursor.fetchone()
    finally:
        await log.stop()
    assert (service, journal) == (FULL, "wal")
    assert row is not None and row[0] == FULL
