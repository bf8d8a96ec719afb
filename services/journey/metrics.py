from collections import Counter
from collections.abc import Sequence
from operator import attrgetter

from prometheus_client import Counter as Metric

from schemas.envelope import Event

DECIDED = Metric(
    "crm_journey_events_decided_total", "Events the journey service recorded", ["type"]
)
_TYPE = attrgetter("type")
SKIPS = Metric("crm_journey_skips_total", "Clicks that skipped stages, by gap", ["gap"])


def count(events: Sequence[Event]) -> None:
    kinds = Counter(map(_TYPE, events))  # counted in C: it runs for every batch
    for kind, n in kinds.items():
        DECIDED.labels(kind).inc(n)
    if kinds.get("stage.skipped.v1"):
        for gap, n in Counter(
            str(getattr(e, "gap", "")) for e in events if e.type == "stage.skipped.v1"
        ).items():
            SKIPS.labels(gap).inc(n)
