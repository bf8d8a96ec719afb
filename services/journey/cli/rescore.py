"""`crm-journey rescore --rules FILE`: what new rules would do to every prospect, then, on
confirmation, the same applied as events."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from schemas import topics
from schemas.catalogue import parse_event
from schemas.envelope import Event
from schemas.stages import STAGES
from services.common.db import create_engine, migrate
from services.common.log_reader import EmbeddedLogReader, KafkaLogReader, LogReader, LogUnavailable
from services.common.rules_file import RulesError
from services.common.settings import CommonSettings
from services.journey.commands.rescore import Report
from services.journey.commands.rescore_run import Outcome, ReadWeb, RescoreError, apply, what_if
from services.journey.domain.rules import Rules
from services.journey.rules_file import load_rules
from services.journey.settings import JourneySettings
from services.journey.tables import prospects as store


def rescore_command(
    rules: Annotated[Path, typer.Option("--rules", help="the new rules file (YAML)")],
    data_dir: Annotated[Path, typer.Option(help="the embedded product's data directory")] = Path(
        ".crm-data"
    ),
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Kafka + PostgreSQL from CRM_KAFKA_* and CRM_JOURNEY_DATABASE_URL "
            "(else CRM_DATABASE_URL)",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="apply without asking")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report only")] = False,
    operator: Annotated[str | None, typer.Option(help="recorded on the events")] = None,
) -> None:
    """Replay every prospect's clicks, imports and manual moves under new thresholds or points;
    report how many prospects would land in which stage; on confirmation apply it as events."""
    try:
        new_rules = load_rules(rules)
    except (RulesError, OSError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    label = f"{rules.name} sha256:{hashlib.sha256(rules.read_bytes()).hexdigest()[:12]}"
    url, reader = _sources(data_dir, distributed)
    who = operator or getpass.getuser()
    try:
        report = asyncio.run(_what_if(url, reader, new_rules))
        typer.echo(render(report, new_rules, label))
        if dry_run or not report.changes:
            raise typer.Exit(0)
        if not yes and not typer.confirm("Apply these changes as events?", default=False):
            typer.echo("Nothing applied.")
            raise typer.Exit(1)
        applied = asyncio.run(_apply(url, reader, new_rules, label, who))
    except (RescoreError, LogUnavailable) as exc:
        typer.echo(f"cannot rescore: {exc}", err=True)
        raise typer.Exit(2) from exc
    if applied.report != report:
        typer.echo("The journey moved on meanwhile; what was applied:")
        typer.echo(render(applied.report, new_rules, label))
    typer.echo(
        f"Applied: {applied.applied} events for {len(applied.report.changes)} prospects.\n"
        f"Now run the journey with these rules (CRM_JOURNEY_RULES_FILE={rules.resolve()}) "
        "so that new clicks are scored by them too."
    )


def render(report: Report, rules: Rules, label: str) -> str:
    moves = report.moves()
    up = sum(n for (a, b), n in moves.items() if b > a)
    down = sum(n for (a, b), n in moves.items() if b < a)
    points_only = sum(1 for c in report.changes if c.from_stage == c.to_stage)
    lines = [f"Rescore under {label}", f"{'stage':<26}{'now':>9}{'after':>9}{'change':>9}"]
    for stage in STAGES:
        now, after = report.before[stage], report.after[stage]
        lines.append(
            f"{stage} {rules.name(stage):<24}{now:>9}{after:>9}{after - now:>+9}"
            f"   (from {rules.threshold(stage)} points)"
        )
    lines.append(
        f"stage changes: {up + down} prospects ({up} up, {down} down); points only: "
        f"{points_only}; unchanged: {report.unchanged}"
    )
    for (a, b), n in sorted(moves.items()):
        lines.append(f"  {a} → {b}: {n}")
    if report.unmatched:
        lines.append(
            f"not comparable (identity differs on replay, left as they are): {report.unmatched}"
        )
    return "\n".join(lines)


def _sources(data_dir: Path, distributed: bool) -> tuple[str, LogReader]:
    if not distributed:
        if not (data_dir / "journey.db").is_file():
            typer.echo(
                f"no journey database in {data_dir} (give --data-dir, or --distributed)", err=True
            )
            raise typer.Exit(2)
        url = f"sqlite:///{(data_dir / 'journey.db').resolve()}"
        return url, EmbeddedLogReader(data_dir / "events.db", topics.WEB)
    common = CommonSettings()
    url = JourneySettings().database_url or common.database_url
    topic = common.kafka_namespace + topics.WEB
    return url, KafkaLogReader(common.kafka_bootstrap_servers, topic)


def _read_web(reader: LogReader) -> ReadWeb:
    async def read() -> Sequence[Event]:
        events: list[Event] = []
        await reader.start()
        try:
            first, end = await reader.bounds()
            async for batch in reader.read(first, end):
                for record in batch:
                    try:
                        events.append(parse_event(record.value))
                    except ValueError:
                        continue  # a poison message: the journey never applied it either
        finally:
            await reader.stop()
        return events

    return read


async def _what_if(url: str, reader: LogReader, rules: Rules) -> Report:
    engine = create_engine(url)
    try:
        await migrate(engine, "journey", store.MIGRATIONS)
        return await what_if(engine, _read_web(reader), rules)
    finally:
        await engine.dispose()


async def _apply(url: str, reader: LogReader, rules: Rules, label: str, operator: str) -> Outcome:
    engine = create_engine(url)
    try:
        return await apply(engine, _read_web(reader), rules, label, operator)
    finally:
        await engine.dispose()
