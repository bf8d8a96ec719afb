"""Where the embedded process spends its time during the end-to-end benchmark: py-spy sampling it
from outside (opt in with CRM_BENCH_E2E_PROFILE=1; skipped with a note when py-spy is not
installed), summed from py-spy's raw collapsed stacks into the functions with the most own
samples and the share of samples under each service's code."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WANTED = os.environ.get("CRM_BENCH_E2E_PROFILE", "") not in ("", "0")
SERVICE = re.compile(r"services/(\w+)/")
# Samples of threads waiting, which nonblocking sampling cannot tell from running: the event
# loop in epoll, and aiosqlite's worker threads waiting for their next statement.
WAITING = ("EpollSelector.select (selectors.py", "_connection_worker_thread (aiosqlite/core.py:59)")
SQL_RUNNING = "_connection_worker_thread (aiosqlite/core.py:63)"
RATE = ("--rate", "100")


def py_spy() -> str | None:
    local = Path.home() / ".local" / "bin" / "py-spy"  # where `pip install --user` puts it
    return shutil.which("py-spy") or (str(local) if local.exists() else None)


@contextmanager
def profiled(pid: int, out: Path) -> Iterator[Path | None]:
    """py-spy recording `pid` while the block runs (nonblocking: it does not pause the process
    to sample it); yields where the raw stacks will be, or None when not profiling."""
    exe = py_spy() if WANTED else None
    if WANTED and exe is None:
        print("\n[bench] CRM_BENCH_E2E_PROFILE set but py-spy not found: no profile")
    if exe is None:
        yield None
        return
    log = out.with_suffix(".log")
    with log.open("w") as errors:
        spy = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--nonblocking",
                *RATE,
                "-o",
                out,
            ],
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
    try:
        yield out
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
        if not out.exists():
            print(f"\n[bench] py-spy wrote no profile: {log.read_text()[-500:]}")


def summary(raw: Path, top: int = 15) -> list[str]:
    """Lines to print: own samples per function, and samples per service: the innermost
    `services/<name>/` frame of each stack (`common` when only the shared kit's; `sqlite` for
    statements running on aiosqlite's worker threads, which py-spy cannot tie to a service;
    `other` for the rest: asyncio, uvicorn, drivers). Waiting threads are left out."""
    own: Counter[str] = Counter()
    by_service: Counter[str] = Counter()
    waiting = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1].startswith(WAITING):
            waiting += int(n)
            continue
        own[frames[-1]] += int(n)
        owners = [m.group(1) for f in frames if (m := SERVICE.search(f))]
        served = [o for o in owners if o != "common"]
        sql = frames[-1].startswith(SQL_RUNNING)
        by_service[
            "sqlite" if sql else served[-1] if served else "common" if owners else "other"
        ] += int(n)
    total = sum(own.values()) or 1
    lines = [
        f"[bench]   profile: {total} samples running (and {waiting} waiting) at 100 Hz in {raw}"
    ]
    lines.append(
        "[bench]   samples by service: "
        + ", ".join(f"{s} {100 * n / total:.0f}%" for s, n in by_service.most_common())
    )
    lines += [
        f"[bench]   {100 * n / total:5.1f}% own  {frame[:150]}" for frame, n in own.most_common(top)
    ]
    return lines
