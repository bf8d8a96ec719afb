"""`crm-journey replay ...`: rebuild every read model from the event log and switch to the new
version, list the versions, drop the old ones. Embedded (`--data-dir`) or distributed
(`--distributed`: Kafka and PostgreSQL from the CRM_* settings)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer
from aiokafka.errors import KafkaError
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from schemas import topics
from services.common.app import tune_gc
from services.common.db import create_engine, migrate, sqlite_url
from services.common.log_reader import (
    EmbeddedLogReader,
    KafkaLogReader,
    LogReader,
    LogUnavailable,
    Positions,
)
from services.common.settings import CommonSettings
from services.common.transport import Record
from services.projections.replay.rebuild import Rebuilt, rebuild
from services.projections.settings import ProjectionsSettings
from services.projections.tables import board as board_store
from services.projections.tables import versions

T = TypeVar("T")
OTHER_TOPICS = (topics.ALERTS, topics.BILLING, topics.CONTENT, topics.PLANNING)
replay_app = typer.Typer(
    help="Rebuild read models from the event log into fresh tables", no_args_is_help=True
)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="the embedded product's data (events.db, projections.db)")
]
Distributed = Annotated[
    bool,
    typer.Option(
        "--distributed",
        help="Kafka and PostgreSQL from CRM_KAFKA_*, CRM_DATABASE_URL (or "
        "CRM_PROJECTIONS_DATABASE_URL) instead of the embedded data directory",
    ),
]


class ProgressBar:
    """One line on stderr, redrawn in place: events done/total, events/s, ETA."""

    def __init__(self, out: TextIO, every_s: float = 0.25):
        self.out, self.every_s = out, every_s
        self.started = self.shown = time.perf_counter()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.drawn and done < total and now - self.shown < self.every_s:
            return
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        eta = f"{(total - done) / rate:.0f} s" if rate > 0 else "?"
        share = 100 * done / total if total else 100.0
        self.out.write(
            f"\rreplaying: {done:,}/{total:,} events ({share:.0f}%), "
            f"{rate:,.0f} events/s, ETA {eta}   "
        )
        self.out.flush()
        self.shown, self.drawn = now, True

    def close(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.out.flush()


def _database_url(data_dir: Path, distributed: bool) -> str:
    if distributed:
        return ProjectionsSettings().database_url or CommonSettings().database_url
    return sqlite_url(data_dir / "projections.db")


def _reader(data_dir: Path, distributed: bool, topic: str = topics.JOURNEY) -> LogReader:
    if distributed:
        common = CommonSettings()
        return KafkaLogReader(common.kafka_bootstrap_servers, common.kafka_namespace + topic)
    return EmbeddedLogReader(data_dir / "events.db", topic)


class _NoTopic:
    """A topic not created yet: nothing was published to it, so its read model is empty."""

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def bounds(self) -> tuple[Positions, Positions]:
        return {}, {}

    async def read(self, start: Positions, end: Positions) -> AsyncIterator[list[Record]]:
        return
        yield


async def _started_others(data_dir: Path, distributed: bool) -> dict[str, LogReader]:
    """Started readers of the other read models' topics; the journey's is required, these may
    not exist yet on a fresh Kafka cluster."""
    out: dict[str, LogReader] = {}
    for topic in OTHER_TOPICS:
        reader = _reader(data_dir, distributed, topic)
        try:
            await reader.start()
        except LogUnavailable:
            if not distributed:
                raise
            reader = _NoTopic()
        out[topic] = reader
    return out


def _need(data_dir: Path, distributed: bool) -> None:
    if not distributed and not data_dir.is_dir():
        typer.echo(f"no data directory {data_dir} (give --data-dir, or --distributed)", err=True)
        raise typer.Exit(2)


def _where(data_dir: Path, distributed: bool) -> str:
    return "--distributed" if distributed else f"--data-dir {data_dir}"


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `work`; a part that cannot be reached is a message and exit status 2."""
    try:
        return asyncio.run(work())
    except LogUnavailable as exc:
        typer.echo(f"cannot replay: {exc}", err=True)
        raise typer.Exit(2) from exc
    except (OSError, OperationalError, KafkaError) as exc:
        typer.echo(f"cannot reach the event log or the database: {exc}", err=True)
        raise typer.Exit(2) from exc


async def _with_engine(url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    engine = create_engine(url)
    try:
        await migrate(engine, "projections", board_store.MIGRATIONS)
        return await work(engine)
    finally:
        await engine.dispose()


@replay_app.command("projections")
def replay_projections(
    data_dir: DataDir = Path(".crm-data"),
    distributed: Distributed = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
) -> None:
    """Rebuild every read model (board, alert feed, tiers, playbook stats, roadmap notes) from
    the start of its topic into the next version's tables, with a progress bar on stderr, then
    switch reads and the live projections to them. The running product keeps serving
    meanwhile; the old tables stay until `replay drop-old`."""
    _need(data_dir, distributed)
    bar = None if quiet else ProgressBar(sys.stderr)
    reader = _reader(data_dir, distributed)

    async def work() -> Rebuilt:
        await reader.start()
        others: dict[str, LogReader] = {}
        try:
            others = await _started_others(data_dir, distributed)
            return await _with_engine(
                _database_url(data_dir, distributed),
                lambda engine: rebuild(engine, reader, bar, others),
            )
        finally:
            for started in [reader, *others.values()]:
                await started.stop()

    tune_gc()  # a replay allocates like a consumer: default thresholds halve its speed
    try:
        done = _run(work)
    finally:
        if bar is not None:
            bar.close()
    sizes = done.sizes
    typer.echo(
        f"switched the read models to {done.version}: {done.events:,} events read "
        f"({done.duplicates:,} duplicates, {done.unreadable:,} unreadable skipped), "
        f"{done.prospects:,} prospects, {sizes.get(topics.ALERTS, 0):,} alerts, "
        f"{sizes.get(topics.BILLING, 0):,} tiers, {sizes.get(topics.CONTENT, 0):,} playbook "
        f"variations, {sizes.get(topics.PLANNING, 0):,} roadmap notes, "
        f"{done.seconds:.1f} s, {done.rate:,.0f} events/s"
    )
    number = versions.version_number(done.previous)
    typer.echo(
        f"kept {done.previous} (reads no longer use it); drop it with: "
        f"crm-journey replay drop-old {number} {_where(data_dir, distributed)}"
    )


@replay_app.command("versions")
def list_versions(data_dir: DataDir = Path(".crm-data"), distributed: Distributed = False) -> None:
    """The read-model versions (named by their board table) whose tables exist; the active one
    is marked."""
    _need(data_dir, distributed)

    async def work(engine: AsyncEngine) -> tuple[str, list[str]]:
        async with engine.connect() as conn:
            return await versions.active_name(conn), await versions.board_versions(conn)

    active, found = _run(lambda: _with_engine(_database_url(data_dir, distributed), work))
    for name in found:
        typer.echo(f"{name}{'  (active)' if name == active else ''}")


@replay_app.command("drop-old")
def drop_old(
    version: Annotated[str, typer.Argument(help="a version number, or its table name")],
    data_dir: DataDir = Path(".crm-data"),
    distributed: Distributed = False,
) -> None:
    """Drop every table of a version reads no longer use; the active one is refused."""
    name = version if version.startswith(versions.BOARD_PREFIX) else None
    if name is None and version.removeprefix("v").isdigit():
        name = versions.version_name(int(version.removeprefix("v")))
    if name is None or versions.version_number(name) is None:
        typer.echo(
            f"not a board version: {version!r} (give e.g. 1 or projections_board_v1)", err=True
        )
        raise typer.Exit(2)
    _need(data_dir, distributed)

    async def work(engine: AsyncEngine) -> None:
        await versions.drop(engine, name)

    try:
        _run(lambda: _with_engine(_database_url(data_dir, distributed), work))
    except versions.VersionRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"dropped {name}")
