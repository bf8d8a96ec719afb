"""`crm-journey`: run the product, serve one service, manage local infrastructure."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from services.common.app import tune_gc
from services.common.settings import CommonSettings
from services.journey.cli.rescore import rescore_command
from services.projections.replay.cli import replay_app
from services.users_cli import token, users

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(help="Hero Journey CRM", no_args_is_help=True, add_completion=False)

DataDir = Annotated[Path, typer.Option("--data-dir", help="where the embedded mode keeps its data")]


class Service(StrEnum):
    ingest = "ingest"
    journey = "journey"
    alerts = "alerts"
    projections = "projections"
    planning = "planning"
    content = "content"
    billing = "billing"
    all = "all"


class InfraAction(StrEnum):
    up = "up"
    down = "down"
    status = "status"


@contextmanager
def _refusing_bad_rules() -> Iterator[None]:
    from services.billing.tiers import TiersError
    from services.common.rules_file import RulesError

    try:
        yield
    except (RulesError, TiersError) as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    data_dir: DataDir = Path(".crm-data"),
) -> None:
    """Run everything in one process: SQLite, embedded event log, no Kafka needed."""
    from services import embedded

    common = CommonSettings()
    _logging(common.log_level)
    with _refusing_bad_rules():
        application = embedded.create_app(data_dir, common)
    tune_gc()
    if not common.producer_keys():
        typer.echo(f"producer key (for POST /v1/events): {data_dir / embedded.INGEST_KEY_FILE}")
    typer.echo(
        "consultants: crm-journey users add you@example.com --role admin "
        f"--data-dir {data_dir}, then POST /v1/auth/login"
    )
    uvicorn.run(application, host=host, port=port, log_level=common.log_level.lower())


@app.command()
def serve(
    service: Service,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Run one service, or `all` of them in one process, against Kafka and PostgreSQL (see
    CRM_* settings in README)."""
    common = CommonSettings()
    _logging(common.log_level)
    if not common.session_secret.get_secret_value():
        typer.echo("CRM_SESSION_SECRET must be set for a distributed service", err=True)
        raise typer.Exit(2)
    if (
        service in (Service.ingest, Service.content, Service.billing, Service.all)
        and not common.producer_keys()
    ):
        typer.echo("CRM_INGEST_API_KEYS must name at least one producer key", err=True)
        raise typer.Exit(2)
    if service is Service.all:
        from services import distributed

        with _refusing_bad_rules():
            application = distributed.create_app(common)
    elif service is Service.ingest:
        from services.ingest.main import create_app as create_ingest

        application = create_ingest(common=common)
    elif service is Service.journey:
        from services.journey.main import create_app as create_journey

        with _refusing_bad_rules():
            application = create_journey(common=common)
    elif service is Service.alerts:
        from services.alerts.main import create_app as create_alerts

        application = create_alerts(common=common)
    elif service is Service.planning:
        from services.planning.main import create_app as create_planning

        application = create_planning(common=common)
    elif service is Service.content:
        from services.content.main import create_app as create_content

        application = create_content(common=common)
    elif service is Service.billing:
        from services.billing.main import create_app as create_billing

        with _refusing_bad_rules():
            application = create_billing(common=common)
    else:
        from services.projections.main import create_app as create_projections

        application = create_projections(common=common)
    tune_gc()
    uvicorn.run(application, host=host, port=port, log_level=common.log_level.lower())


@app.command()
def infra(
    action: InfraAction,
    parts: Annotated[list[str] | None, typer.Argument(help="kafka, postgres, stripe-mock")] = None,
) -> None:
    """Start, stop or show the local Kafka, PostgreSQL and stripe-mock (deploy/local)."""
    script = ROOT / "deploy" / "local" / "infra.sh"
    done = subprocess.run(["bash", str(script), action.value, *(parts or [])])
    raise typer.Exit(done.returncode)


@app.command("import")
def import_prospects(
    csv_file: Annotated[Path, typer.Argument(help="columns: email, name, stage, points, id")],
    data_dir: DataDir = Path(".crm-data"),
    database_url: Annotated[
        str | None, typer.Option(help="the journey database (default: the embedded one)")
    ] = None,
) -> None:
    """Import contacts that predate go-live. Every row is checked; if any is rejected, nothing
    is imported and each rejected line is listed with its reasons."""
    import asyncio
    import json

    from services.journey.cli.importing import import_file
    from services.journey.commands.importing import ImportRefused

    try:
        text = csv_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"{csv_file}: cannot read it as UTF-8 text: {exc}", err=True)
        raise typer.Exit(2) from exc
    url = database_url or f"sqlite:///{(data_dir / 'journey.db').resolve()}"
    try:
        done = asyncio.run(import_file(url, text))
    except ImportRefused as refused:
        typer.echo(json.dumps(refused.report(), indent=2))
        raise typer.Exit(1) from refused
    typer.echo(json.dumps(done.report(), indent=2))
    raise typer.Exit(0)


app.add_typer(users, name="users")
app.command("token")(token)
app.add_typer(replay_app, name="replay")
app.command("rescore")(rescore_command)


if __name__ == "__main__":
    app()
