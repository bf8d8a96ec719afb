"""The distributed product as separate processes for the fault suite: two ingest instances, two
journeys in one consumer group, alerts, projections, planning, content and billing, each
`crm-journey serve <service>` on its own port, on the 3-node cluster and a PostgreSQL server of
the suite's own (so restarting it touches no other test). Each can be killed with -9 and started
again on the same port; their logs are appended to across restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.faults.cluster import Cluster
from tests.infra import fresh_database
from tests.processes import CLI, ROOT, free_port

KEY = "faults-producer-key"
SECRET = "faults-session-secret"
PARTITIONS = 6  # so two journeys share crm.web three and three, and a third takes some over
INSTANCES = {
    "ingest-1": "ingest",
    "ingest-2": "ingest",
    "journey-1": "journey",
    "journey-2": "journey",
    "alerts": "alerts",
    "projections": "projections",
    "planning": "planning",
    "content": "content",
    "billing": "billing",
}
POSTGRES = ROOT / "deploy" / "local" / "postgres.sh"


@dataclass
class Instance:
    name: str
    service: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with self.log.open("a") as out:
            out.write(f"\n--- start {time.strftime('%H:%M:%S')} ---\n")
            out.flush()
            self.process = subprocess.Popen(
                [*CLI, "serve", self.service, "--port", str(self.port)],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text()[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{tail}")
        with suppress(httpx.TransportError):
            return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
        return False

    def wait_ready(self, timeout: float = 120) -> float:
        started = time.monotonic()
        while not self.ready():
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s: {self.log}")
            time.sleep(0.1)
        return time.monotonic() - started

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, as an orchestrator scales an instance in: it leaves its group cleanly."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill9()

    def restart(self) -> float:
        self.restarts += 1
        self.spawn()
        return self.wait_ready()


class Postgres:
    """A PostgreSQL server of the suite's own (deploy/local/postgres.sh on another port and
    data directory), restarted immediately on request."""

    def __init__(self, run_dir: Path, unique: str):
        self.env = {
            **os.environ,
            "CRM_RUN_DIR": str(run_dir),
            "CRM_PG_PORT": str(free_port()),
            "CRM_PG_DIR": f"/tmp/crm-faults-pg-{unique}",
            "CRM_PG_DURABLE": "1",  # as production: a commit is on disk before it is answered
        }
        self.url = ""

    def _run(self, action: str) -> str:
        done = subprocess.run(
            ["bash", str(POSTGRES), action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"postgres.sh {action}: {done.stderr[-2000:]}"
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def start(self) -> str:
        self.url = self._run("start")
        return self.url

    def restart(self) -> None:
        self._run("restart")

    def clean(self) -> None:
        self._run("clean")


class System:
    def __init__(self, run_dir: Path, cluster: Cluster, server_url: str, unique: str):
        self.namespace = f"faults-{unique}."
        self.database = fresh_database(server_url, f"faults_{unique}")
        self.env = {
            "CRM_INGEST_API_KEYS": KEY,
            "CRM_SESSION_SECRET": SECRET,
            "CRM_INGEST_KEY_EVENTS_PER_SECOND": "0",
            "CRM_KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap,
            "CRM_KAFKA_REPLICATION_FACTOR": "3",
            "CRM_KAFKA_PARTITIONS": str(PARTITIONS),
            "CRM_KAFKA_NAMESPACE": self.namespace,
            "CRM_DATABASE_URL": self.database,
            "CRM_LOG_LEVEL": "INFO",
            "ANTHROPIC_API_KEY": "",
        }
        self.run_dir = run_dir
        self.instances = {
            name: Instance(name, service, self.env, run_dir / f"{name}.log")
            for name, service in INSTANCES.items()
        }

    def start(self) -> None:
        for instance in self.instances.values():
            instance.spawn()
        for instance in self.instances.values():
            instance.wait_ready()

    def add(self, name: str, service: str) -> Instance:
        """One more instance (a journey joining its group: a rebalance)."""
        instance = self.instances[name] = Instance(
            name, service, self.env, self.run_dir / f"{name}.log"
        )
        instance.spawn()
        instance.wait_ready()
        return instance

    def ingest(self) -> list[str]:
        return [i.base for i in self.instances.values() if i.service == "ingest"]

    def stop(self) -> None:
        for instance in self.instances.values():
            instance.stop()

    def processed_counts(self) -> dict[str, int]:
        """Rows of each `<name>_processed_events` table: the events each consumer applied."""
        return asyncio.run(_processed_counts(self.database))


async def _processed_counts(url: str) -> dict[str, int]:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE '%\\_processed\\_events' ORDER BY 1"
        )
        return {
            n["table_name"].removesuffix("_processed_events"): await conn.fetchval(
                f'SELECT count(*) FROM "{n["table_name"]}"'
            )
            for n in names
        }
    finally:
        await conn.close()
