"""The log side of the replay command's tests: the command run as an operator runs it, seeded
histories published on the embedded log or Kafka, and when the live consumers have read it all."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from schemas import topics
from schemas.envelope import Event
from services.common.embedded_log import EmbeddedLog
from services.common.kafka import KafkaTransport
from services.common.transport import Outgoing
from tests.processes import CLI, ROOT
from tests.projections.seeded import journey_log
from tests.projections.seeded_others import other_events


def replay(
    args: Sequence[str], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`crm-journey replay ARGS` in a child process, as an operator runs it. The output is
    decoded as written: no newline translation, so a progress bar's carriage returns show."""
    done = subprocess.run(
        [*CLI, "replay", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=600,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def seeded_history(seed: int, visitors: int) -> list[Event]:
    """Thousands of journey events, some twice, as an at-least-once relay leaves them."""
    rng = random.Random(seed)
    out: list[Event] = []
    for event in journey_log(seed=seed, visitors=visitors).events:
        out.append(event)
        if rng.random() < 0.02:
            out.append(event)
    return out


def seeded_others(seed: int, visitors: int) -> list[Event]:
    """The seeded journey's prospects' alerts, upgrades, playbook visits and notes, some twice."""
    rng = random.Random(seed)
    out: list[Event] = []
    for event in other_events(seed, sorted(journey_log(seed=seed, visitors=visitors).prospects)):
        out.append(event)
        if rng.random() < 0.02:
            out.append(event)
    return out


def distinct_on(events: Sequence[Event], topic: str) -> int:
    return len({e.event_id for e in events if Outgoing.of(e).topic == topic})


async def publish_embedded(path: Path, events: Sequence[Event]) -> None:
    log = EmbeddedLog(path)
    await log.start()
    try:
        await log.publish(events)
    finally:
        await log.stop()


async def publish_kafka(bootstrap: str, namespace: str, events: Sequence[Event]) -> None:
    publisher = KafkaTransport(bootstrap, namespace=namespace, client_id="journey-test")
    await publisher.start()
    try:
        await publisher.publish(events)
    finally:
        await publisher.stop()


# The consumer groups that feed the read models, the embedded alerts service's included: it
# raises alerts live from the seeded journey's skips.
GROUPS = [
    ("projections", topics.JOURNEY),
    ("alerts", topics.JOURNEY),
    ("projections-alerts", topics.ALERTS),
    ("projections-billing", topics.BILLING),
    ("projections-content", topics.CONTENT),
    ("projections-planning", topics.PLANNING),
]


def settled(log: Path) -> int:
    """The records on the read models' topics, once every group has consumed all of its topic
    and nothing more has come for a while (the alerts service publishes after it commits)."""
    seen: list[int | None] = []
    for _ in range(600):
        seen.append(caught_up(log))
        if len(seen) >= 4 and seen[-1] is not None and len(set(seen[-4:])) == 1:
            return seen[-1]
        time.sleep(0.25)
    raise AssertionError(f"the read models never caught up with the log: {seen[-4:]}")


def caught_up(log: Path) -> int | None:
    """The records on the read models' topics once every group has consumed all of its topic;
    None while one has not."""
    with sqlite3.connect(log) as db:
        ends = dict(
            db.execute('SELECT topic, MAX("offset") + 1 FROM log GROUP BY topic').fetchall()
        )
        done = {(g, t): o for g, t, o in db.execute("SELECT * FROM group_offsets").fetchall()}
    if any(done.get((g, t), 0) < ends.get(t, 0) for g, t in GROUPS):
        return None
    if not _alerts_published(log.parent / "alerts.db"):
        return None
    return sum(ends.get(t, 0) for t in {t for _, t in GROUPS})


def _alerts_published(db_file: Path) -> bool:
    """The alerts service has published every alert event it journaled (its relay publishes
    after the commit, and saves how far it got a little later)."""
    if not db_file.exists():
        return True
    with sqlite3.connect(db_file) as db:
        journaled = db.execute("SELECT COALESCE(MAX(seq), 0) FROM alerts_journal").fetchone()[0]
        found = db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM alerts_relay_position WHERE name = ?",
            ("alerts_journal",),
        ).fetchone()
    return bool(found[0] >= journaled)


@contextmanager
def meanwhile(step: Callable[[int], None]) -> Iterator[None]:
    """Call step(0), step(1), ... in a thread until the block ends."""
    stop = threading.Event()

    def run() -> None:
        n = 0
        while not stop.is_set():
            step(n)
            n += 1
            time.sleep(0.02)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()
