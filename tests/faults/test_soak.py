"""Soak: the distributed product (tests/faults/system.py) under a steady load with no fault,
sampling each process's resident memory and every consumer group's lag, then a PNG chart of
both. Memory must stay flat (no process grows in the last quarter of the run beyond what it
held halfway) and every group's lag must return to zero once the load stops.

`make test` runs 60 seconds; by hand, ten minutes:
`CRM_SOAK_SECONDS=600 make soak` (the chart: artifacts/soak-600s.png, or CRM_SOAK_CHART)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.faults.cluster import Cluster
from tests.faults.driver import Driver, under_load
from tests.faults.soak import Memory, chart
from tests.faults.system import System
from tests.processes import ROOT

SECONDS = float(os.environ.get("CRM_SOAK_SECONDS", "60"))
RATE = float(os.environ.get("CRM_SOAK_RATE", "1000"))  # events/s
VISITORS = int(os.environ.get("CRM_SOAK_VISITORS", "2000"))
CHART = Path(os.environ.get("CRM_SOAK_CHART", str(ROOT / "artifacts" / f"soak-{SECONDS:.0f}s.png")))
GROWTH = 1.15  # the most a process may hold at the end over what it held halfway, plus SLACK_MIB
SLACK_MIB = 25.0


def test_memory_stays_flat_and_lag_returns_to_zero_under_a_steady_load(
    tmp_path: Path, cluster: Cluster, unique: str
) -> None:
    with under_load(tmp_path, cluster, unique, VISITORS, batch=50) as (system, _, driver):
        driver.producers.holding = False
        soak(system, driver)


def soak(system: System, driver: Driver) -> None:
    memory = Memory(system.instances)
    memory.start()
    zero = time.monotonic()
    driver.start(int(SECONDS * RATE), RATE)
    time.sleep(3)
    driver.call(driver.probe.find_groups())
    driver.sent_all(SECONDS * 3 + 120)
    sent_until = time.monotonic()
    settled = driver.settle(300)
    drained = time.monotonic() - sent_until
    time.sleep(5)  # a flat tail on the chart
    driver.stop_watching()
    memory.stop()
    sent = driver.producers.sent
    lag = driver.probe.samples
    rate = len(sent.acked) / (sent_until - zero)
    title = f"Soak: {len(sent.acked):,} clicks at {rate:,.0f}/s for {sent_until - zero:.0f} s"
    path = chart(CHART, memory, lag, zero, sent_until, title)

    half, quarter = zero + (sent_until - zero) / 2, zero + (sent_until - zero) * 3 / 4
    grew = {}
    print(f"\n[soak] {title}; answers {dict(sent.answers)}; chart {path}")
    for name in sorted(system.instances):
        held_half = max(memory.between(name, zero, half), default=0.0)
        held_end = max(memory.between(name, quarter, sent_until), default=0.0)
        print(f"[soak]   {name}: {held_half:.0f} MiB halfway, {held_end:.0f} MiB at the end")
        if held_end > held_half * GROWTH + SLACK_MIB:
            grew[name] = (held_half, held_end)
    worst = max((max(s.behind.values(), default=0) for s in lag), default=0)
    print(
        f"[soak] max consumer lag {worst} messages; every group at 0 {drained:.1f} s after the "
        f"last event: {settled}; lag samples {len(lag)} ({driver.probe.failures} not taken)"
    )
    assert sent.acked == set(sent.events) and len(sent.acked) >= SECONDS * RATE
    assert rate >= 0.8 * RATE, f"the producers reached {rate:.0f}/s of {RATE:.0f}/s"
    assert settled, "a consumer group's lag did not return to zero"
    assert not grew, f"memory grew: {grew}"
