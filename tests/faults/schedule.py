"""The faults, one after another while the producers send, each followed by its recovery: how
long the system took from the first write acknowledged after the fault until every consumer
group was again less than a second behind (the age of its oldest uncommitted message)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.faults.cluster import Cluster
from tests.faults.driver import Driver
from tests.faults.lag import Sample
from tests.faults.system import Instance, Postgres, System

DOWN_S = 3.0  # how long a killed process stays down before it is started again
CAUGHT_UP_S = 1.0
STABLE_S = 3.0  # under CAUGHT_UP_S this long, the fault is over
RECOVERY_TIMEOUT_S = 180.0


@dataclass
class Outcome:
    fault: str
    detail: str
    recovery_s: float | None  # None: never back under a second behind within the timeout
    worst_lag: int  # messages, the most any group was behind meanwhile
    worst_s: float  # seconds: the oldest message any group had not committed meanwhile
    unknown: int  # lag samples the cluster did not answer (counted as behind)
    first_write_s: float | None  # from the fault to the first write acknowledged after it

    def line(self) -> str:
        took = "NOT RECOVERED" if self.recovery_s is None else f"recovery {self.recovery_s:.1f} s"
        return (
            f"{self.fault}: {took} ({self.detail}; at worst {self.worst_lag} messages, "
            f"{self.worst_s:.1f} s behind; "
            + (
                "no write acknowledged after it"
                if self.first_write_s is None
                else f"writes acknowledged again {self.first_write_s:.1f} s after the fault"
            )
            + (f"; {self.unknown} lag samples unanswered" if self.unknown else "")
            + ")"
        )


class Faults:
    def __init__(self, system: System, cluster: Cluster, postgres: Postgres, driver: Driver):
        self.system, self.cluster, self.postgres, self.driver = system, cluster, postgres, driver
        self.outcomes: list[Outcome] = []
        self.poison: set[str] = set()

    def _recovered(self, fault: str, started: float, detail: str) -> None:
        """Wait until every group has stayed under a second behind for STABLE_S; the recovery
        ends at the first sample after the last one that was a second or more behind."""
        probe, sent = self.driver.probe, self.driver.producers.sent
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        first_write: float | None = None
        window: list[Sample] = []
        stable = False
        while time.monotonic() < deadline and not stable:
            time.sleep(0.25)
            first_write = first_write or sent.first_ack_after(started)
            window = [s for s in probe.samples if s.at >= started]
            recent = [s for s in window if s.at >= time.monotonic() - STABLE_S]
            stable = (
                first_write is not None
                and len(recent) >= 2  # a sample takes up to a second or so
                and all(s.worst_s < CAUGHT_UP_S for s in recent)
            )
        behind = [s for s in window if s.worst_s >= CAUGHT_UP_S]
        took: float | None = None
        if stable and first_write is not None:
            after = [s.at for s in window if behind and s.at > behind[-1].at]
            took = max(0.0, after[0] - first_write) if after else 0.0
        outcome = Outcome(
            fault,
            detail,
            took,
            max((max(s.behind.values(), default=0) for s in window), default=0),
            max((s.worst_s for s in window if s.taken), default=0.0),
            sum(not s.taken for s in window),
            None if first_write is None else first_write - started,
        )
        self.outcomes.append(outcome)
        print(f"[faults] {outcome.line()}")

    def kill(self, name: str) -> None:
        instance: Instance = self.system.instances[name]
        started = time.monotonic()
        instance.kill9()
        time.sleep(DOWN_S)
        ready = instance.restart()
        self._recovered(
            f"kill -9 {name}", started, f"down {DOWN_S:.0f} s, ready {ready:.1f} s after restart"
        )

    def broker(self) -> None:
        node = self.driver.busiest_leader()
        started = time.monotonic()
        self.cluster.kill(node)
        time.sleep(DOWN_S * 2)
        self.cluster.restart(node)
        self._recovered(
            f"kill -9 broker {node} (leading most partitions)", started, f"down {DOWN_S * 2:.0f} s"
        )

    def postgres_restart(self) -> None:
        started = time.monotonic()
        self.postgres.restart()
        self._recovered(
            "PostgreSQL immediate restart",
            started,
            f"back after {time.monotonic() - started:.1f} s",
        )

    def rebalance(self) -> None:
        started = time.monotonic()
        joined = self.system.add("journey-3", "journey")
        time.sleep(DOWN_S * 2)
        joined.stop()
        self._recovered(
            "journey-3 joins, then leaves", started, "two rebalances of the journey group"
        )

    def duplicates(self, batches: int) -> None:
        started = time.monotonic()
        posted = self.driver.call(self.driver.producers.duplicate(batches))
        self._recovered(
            "duplicate deliveries", started, f"{posted} acknowledged batches posted again"
        )

    def poisons(self, run: str) -> None:
        started = time.monotonic()
        self.poison |= self.driver.poison(run)
        self._recovered("poison messages", started, f"{len(self.poison)} put on crm.web")

    def every_kind(self, run: str) -> list[Callable[[], None]]:
        consumers = ["journey-1", "journey-2", "alerts", "projections", "planning", "billing"]
        return [
            *(lambda n=n: self.kill(n) for n in consumers),
            lambda: self.kill("content"),
            lambda: self.kill("ingest-1"),
            self.broker,
            self.postgres_restart,
            self.rebalance,
            lambda: self.duplicates(20),
            lambda: self.poisons(run),
        ]
