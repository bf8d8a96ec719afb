"""The local 3-node KRaft cluster (`deploy/local/kafka-cluster.sh`) for the fault suite: started
in the test's own run directory, nodes killed with -9 and restarted on request."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "deploy" / "local" / "kafka-cluster.sh"


@dataclass
class Cluster:
    run_dir: Path
    port: int
    controller_port: int
    bootstrap: str = ""

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "CRM_RUN_DIR": str(self.run_dir),
            "CRM_KAFKA_CLUSTER_PORT": str(self.port),
            "CRM_KAFKA_CLUSTER_CONTROLLER_PORT": str(self.controller_port),
        }

    def run(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"kafka-cluster.sh {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout.strip()

    def start(self) -> str:
        self.bootstrap = self.run("start").splitlines()[-1]
        return self.bootstrap

    def kill(self, node: int) -> None:
        self.run("kill", str(node))

    def restart(self, node: int) -> None:
        self.run("restart", str(node))

    def node_of(self, port: int) -> int:
        return port - self.port + 1

    def clean(self) -> None:
        self.run("clean")
