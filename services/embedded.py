"""Composition root of the embedded default: every service in one process, over the embedded
SQLite event log, each service with its own SQLite database under the data directory."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from services.alerts.main import build as build_alerts
from services.alerts.settings import AlertsSettings
from services.billing.main import build as build_billing
from services.billing.settings import BillingSettings
from services.common.app import assemble
from services.common.auth import new_secret
from services.common.db import create_engine, sqlite_url
from services.common.embedded_log import EmbeddedLog
from services.common.sessions import Sessions
from services.common.settings import CommonSettings
from services.content.main import build as build_content
from services.content.settings import ContentSettings
from services.ingest.main import build as build_ingest
from services.ingest.settings import IngestSettings
from services.journey.main import build as build_journey
from services.journey.settings import JourneySettings
from services.planning.main import build as build_planning
from services.planning.settings import PlanningSettings
from services.projections.main import build as build_projections
from services.projections.settings import ProjectionsSettings

SESSION_SECRET_FILE = "session-secret"
INGEST_KEY_FILE = "ingest-api-key"
ALERTS_DB = "alerts.db"  # also where `crm-journey users add` keeps consultant accounts
DATABASES = (
    "events.db",
    "ingest.db",
    "journey.db",
    ALERTS_DB,
    "projections.db",
    "planning.db",
    "content.db",
    "billing.db",
)


def private_data_dir(data_dir: Path) -> None:
    """The data directory 0700 and every file in it 0600, tightened if an older version left
    them readable. The databases are created empty (a valid SQLite file) and private before
    SQLite opens them, since SQLite gives its WAL and SHM files the database file's mode."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for name in DATABASES:
        os.close(os.open(data_dir / name, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in data_dir.iterdir():
        if path.is_file() and not path.is_symlink():
            path.chmod(0o600)


def kept_secret(data_dir: Path, name: str) -> str:
    """A secret generated once and kept (mode 0600) in the data directory."""
    path = data_dir / name
    if not path.exists():
        private_data_dir(data_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_secret())
    return path.read_text().strip()


def session_secret(common: CommonSettings, data_dir: Path) -> str:
    return common.session_secret.get_secret_value() or kept_secret(data_dir, SESSION_SECRET_FILE)


def producer_keys(common: CommonSettings, data_dir: Path) -> frozenset[str]:
    return common.producer_keys() or frozenset({kept_secret(data_dir, INGEST_KEY_FILE)})


def create_app(data_dir: Path, common: CommonSettings | None = None) -> FastAPI:
    common = common or CommonSettings()
    private_data_dir(data_dir)
    transport = EmbeddedLog(data_dir / "events.db")
    ingest_engine = create_engine(sqlite_url(data_dir / "ingest.db"))
    journey_engine = create_engine(sqlite_url(data_dir / "journey.db"))
    alerts_engine = create_engine(sqlite_url(data_dir / ALERTS_DB))
    projections_engine = create_engine(sqlite_url(data_dir / "projections.db"))
    planning_engine = create_engine(sqlite_url(data_dir / "planning.db"))
    secret = session_secret(common, data_dir)
    app = assemble(
        "Hero Journey CRM",
        [
            build_ingest(ingest_engine, transport, IngestSettings(), common),
            build_journey(journey_engine, transport, JourneySettings()),
            build_alerts(alerts_engine, transport, AlertsSettings(), common, session_secret=secret),
            build_projections(projections_engine, ProjectionsSettings()),
            build_planning(planning_engine, transport, PlanningSettings()),
            build_content(
                create_engine(sqlite_url(data_dir / "content.db")),
                transport,
                ContentSettings(),
                common,
            ),
            build_billing(
                create_engine(sqlite_url(data_dir / "billing.db")),
                transport,
                BillingSettings(),
                common,
            ),
        ],
        transport,
        common,
        session_secret=secret,
        producer_keys=producer_keys(common, data_dir),
        sessions=Sessions(alerts_engine),
    )
    return app
