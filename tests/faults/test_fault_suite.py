"""The whole product under faults, Jepsen-style: the distributed services as separate processes
(tests/faults/system.py) on the 3-node cluster and a PostgreSQL of their own; producers posting
clicks at a steady rate and retrying with the same event ids (producers.py); meanwhile, one
after another, every fault kind (schedule.py): kill -9 of each service, of the broker leading
most partitions, an immediate PostgreSQL restart, a journey joining and leaving, duplicate
deliveries, poison messages. Then the checker (checker.py) folds the log on its own and compares
every service's holdings with it, and prints the accounting. Fails on any loss, double count,
wrong stage or alert, poison not dead-lettered, or partition left behind.

Short form in `make test` (>= 20,000 events); the long form is
`CRM_FAULTS_EVENTS=100000 CRM_FAULTS_RATE=400 make faults`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.faults.checker import Holdings, compare, dead_ids, dead_letters, expected_from_log
from tests.faults.cluster import Cluster
from tests.faults.driver import Driver, under_load
from tests.faults.lag import read_topic
from tests.faults.schedule import Faults
from tests.faults.system import SECRET, Postgres, System
from tests.sessions import signed_in

EVENTS = int(os.environ.get("CRM_FAULTS_EVENTS", "20000"))
RATE = float(os.environ.get("CRM_FAULTS_RATE", "200"))  # events/s
VISITORS = int(os.environ.get("CRM_FAULTS_VISITORS", "400"))
SETTLE_S = 300.0


def test_nothing_lost_nothing_double_counted_under_every_fault(
    tmp_path: Path, cluster: Cluster, unique: str
) -> None:
    with under_load(tmp_path, cluster, unique, VISITORS, batch=20) as (system, postgres, driver):
        run(system, cluster, postgres, driver, unique)


def run(system: System, cluster: Cluster, postgres: Postgres, driver: Driver, unique: str) -> None:
    started = time.monotonic()
    driver.start(EVENTS, RATE)
    time.sleep(3)
    driver.call(driver.probe.find_groups())
    faults = Faults(system, cluster, postgres, driver)
    for fault in faults.every_kind(unique):
        fault()
    driver.producers.holding = False
    driver.sent_all(EVENTS / RATE * 3 + 120)
    settled = driver.settle(SETTLE_S)
    elapsed = time.monotonic() - started
    driver.stop_watching()
    check(system, cluster, driver, faults, settled, elapsed)


def check(
    system: System, cluster: Cluster, driver: Driver, faults: Faults, settled: bool, elapsed: float
) -> None:
    sent, samples = driver.producers.sent, driver.probe.samples

    bootstrap = cluster.bootstrap.split(",")
    log = driver.call(read_topic(bootstrap, system.namespace + "crm.web"))
    want = expected_from_log(log, faults.poison)
    token = signed_in(system.database, SECRET, "faults@example.com")
    held = Holdings(
        system.instances["journey-1"].base,
        system.instances["projections"].base,
        system.instances["alerts"].base,
        token,
    )
    board = journey = alerts = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        board = compare("board", held.board(), want.prospects(), clicks_at=2)
        alerts = compare("alerts", held.alerts(), want.alerts(), clicks_at=None)
        if not board.wrong and not alerts.wrong:
            break
        time.sleep(1)
    journey = compare(
        "journey", held.journey_prospects(sorted(want.prospects())), want.prospects(), 2
    )
    held.close()
    assert board is not None and alerts is not None

    dlq = {
        g: driver.call(read_topic(bootstrap, f"{system.namespace}crm.dlq.{g}"))
        for g in driver.probe.groups_plain()
    }
    dead = set().union(*(dead_ids(r) for r in dlq.values())) if dlq else set()
    lost = sent.acked - want.in_log
    undead_poison = faults.poison - dead
    wrongly_dead = dead - faults.poison
    worst_lag = max((max(s.behind.values(), default=0) for s in samples), default=0)

    print(f"\n[faults] {len(faults.outcomes)} faults over {elapsed:.0f} s at {RATE:.0f} events/s")
    print(
        f"[faults] events sent {len(sent.events)}, acknowledged {len(sent.acked)}, "
        f"posted again as duplicates {sent.duplicates_posted}; answers {dict(sent.answers)}"
    )
    print(
        f"[faults] crm.web holds {want.log_records} messages, {want.distinct} distinct events "
        f"({want.log_records - want.distinct - len(faults.poison)} repeats); "
        f"lost (acknowledged, not in the log) {len(lost)}"
    )
    print(f"[faults] processed: {processed_line(system)}")
    for c in (journey, board, alerts):
        print(f"[faults] {c.line()}")
    print(
        "[faults] dead-lettered: "
        + "; ".join(f"{g} {sum(r.values())} {dict(r)}" for g, r in dead_letters(dlq).items() if r)
        + f"; poison not dead-lettered {len(undead_poison)}, "
        f"others dead-lettered {len(wrongly_dead)}"
    )
    print(
        f"[faults] max consumer lag {worst_lag} messages; lag samples {len(samples)} "
        f"({driver.probe.failures} not taken); all groups at 0 after the run: {settled}"
    )
    for o in faults.outcomes:
        print(f"[faults]   {o.line()}")

    assert len(sent.events) >= EVENTS and sent.acked == set(sent.events)
    assert not lost, f"{len(lost)} acknowledged events are not in the log"
    assert journey.lost == board.lost == 0, (journey.line(), board.line())
    assert journey.doubled == board.doubled == 0, (journey.line(), board.line())
    assert not journey.wrong and not board.wrong and not alerts.wrong, (
        journey.line(),
        board.line(),
        alerts.line(),
    )
    assert not undead_poison, f"poison not in any dead-letter topic: {undead_poison}"
    assert not wrongly_dead, f"dead-lettered but not poison: {sorted(wrongly_dead)[:5]}"
    assert settled, "a consumer group never caught up: a partition stopped flowing"
    assert all(o.recovery_s is not None for o in faults.outcomes)


def processed_line(system: System) -> str:
    counts = system.processed_counts()
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
