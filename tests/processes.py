"""Running the product as its users do: `crm-journey` in a child process, reached over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "services.cli"]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    base: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no last commit."""
        self.process.kill()
        self.process.wait()


@contextmanager
def crm(args: list[str], log: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start `crm-journey ARGS --port <free>`, wait until /readyz says ready, yield its base URL."""
    with crm_process(args, log, env) as running:
        yield running.base


@contextmanager
def crm_process(
    args: list[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[Running]:
    port = free_port()
    with log.open("w") as out:
        child = subprocess.Popen(
            [*CLI, *args, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "CRM_LOG_LEVEL": "INFO", **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, child, log)
        yield Running(base, child)
    finally:
        child.terminate()
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_ready(base: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"crm-journey exited with {child.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"crm-journey did not become ready:\n{log.read_text()}")


def poll(fetch: Callable[[], T], until: Callable[[T], bool], timeout: float = 30.0) -> T:
    """Call `fetch()` until `until(result)` holds; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if until(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.05)
