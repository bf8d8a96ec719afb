"""The end-to-end benchmark's clicks, and the state they must lead to, folded here from the rules
in DESIGN.md (default thresholds; awarded = base x max(1, gap); the stage is the highest whose
threshold the points reach, never lower; gap >= 2 raises an alert, HIGH for 2-3, URGENT for 4+;
one open alert per prospect: a higher target escalates it, another skip repeats on it), not by
the product's code, so a product that folds wrongly fails the benchmark."""

from __future__ import annotations

import json
import random
import uuid
from bisect import bisect_right
from dataclasses import dataclass, field

THRESHOLDS = (0, 25, 75, 150, 250, 400)
BATCH = 500  # clicks per POST, as issue 15 says
RANK = {"HIGH": 1, "URGENT": 2}


@dataclass
class Prospect:
    stage: int = 1
    points: int = 0
    clicks: int = 0


@dataclass
class Alert:
    priority: str
    target: int
    count: int = 1  # skips recorded on it: the raising one and the repeats
    escalated: bool = False


@dataclass
class Workload:
    """Request bodies per client (each client owns its visitors and posts its bodies in order,
    so every visitor's clicks reach ingest in the order they were folded), and the outcome."""

    warmup: bytes
    bodies: list[list[bytes]]
    clicks: int
    prospects: dict[str, Prospect] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)

    def stage_counts(self) -> dict[int, int]:
        counts = dict.fromkeys(range(1, 7), 0)
        for p in self.prospects.values():
            counts[p.stage] += 1
        return counts

    def alert_counts(self) -> dict[str, tuple[int, int]]:
        """Per priority (as it is now, after escalations): alerts, and how many escalated."""
        counts = {p: (0, 0) for p in RANK}
        for a in self.alerts.values():
            raised, escalated = counts[a.priority]
            counts[a.priority] = (raised + 1, escalated + a.escalated)
        return counts

    def skips(self) -> int:
        return sum(a.count for a in self.alerts.values()) + sum(
            a.escalated for a in self.alerts.values()
        )

    def fold(self, visitor: str, stage: int, base: int) -> None:
        p = self.prospects.setdefault(visitor, Prospect())
        gap = stage - p.stage
        p.points += base * max(1, gap)
        p.stage = max(p.stage, bisect_right(THRESHOLDS, p.points))
        p.clicks += 1
        if gap < 2:
            return
        priority = "URGENT" if gap >= 4 else "HIGH"
        alert = self.alerts.get(visitor)
        if alert is None:
            self.alerts[visitor] = Alert(priority, stage)
        elif stage > alert.target:
            alert.target, alert.escalated = stage, True
            alert.priority = max(alert.priority, priority, key=RANK.__getitem__)
        else:
            alert.count += 1


def click(visitor: str, stage: int, base: int) -> dict[str, object]:
    return {
        "type": "cta.clicked",
        "event_id": str(uuid.uuid4()),  # as the tracker sends: ingest checks its fingerprint
        "visitor_id": visitor,
        "cta": {"id": f"cta-s{stage}", "label": "Next step", "stage": stage, "points": base},
        "page": "https://example.com/bench",
        "utm": {"source": "google", "medium": "cpc", "campaign": "e2e"},
    }


def next_stage(rng: random.Random, current: int) -> int:
    """Mostly the visitor's own stage or below, sometimes the next one, now and then a skip."""
    r = rng.random()
    if r < 0.85 or current == 6:
        return rng.randint(max(1, current - 1), current)
    if r < 0.96 or current >= 5:
        return current + 1
    return rng.randint(current + 2, 6)


def workload(clicks: int, visitors: int, clients: int, run: str, seed: int = 15) -> Workload:
    rng = random.Random(seed)
    warm = f"warm-{run}"
    out = Workload(json.dumps({"events": [click(warm, 4, 5)]}).encode(), [], clicks)
    out.fold(warm, 4, 5)
    per_client: list[list[dict[str, object]]] = [[] for _ in range(clients)]
    for i in range(clicks):
        v = i if i < visitors else rng.randrange(visitors)  # everyone once, then at random
        visitor = f"e2e-{run}-{v}"
        stage = next_stage(rng, out.prospects[visitor].stage if visitor in out.prospects else 1)
        base = rng.randint(1, 15)
        out.fold(visitor, stage, base)
        per_client[v % clients].append(click(visitor, stage, base))
    out.bodies = [
        [
            json.dumps({"events": events[s : s + BATCH]}).encode()
            for s in range(0, len(events), BATCH)
        ]
        for events in per_client
    ]
    return out
