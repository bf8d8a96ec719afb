from collections import Counter
from collections.abc import Sequence

from prometheus_client import Counter as Metric

from schemas.envelope import Event

DECIDED = Metric(
    "crm_journey_events_decided_total", "Events the journey service recorded", ["type"]
)
SKIPS = Metric("crm_journey_skips_total", "Clicks that skipped stages, by gap", ["gap"])


def count(events: Sequence[Event]) -> None:
    for kind, n in Counter(e.type for e in events).items():
        DECIDED.labels(kind).inc(n)
    for gap, n in Counter(
        str(getattr(e, "gap", "")) for e in events if e.type == "stage.skipped.v1"
    ).items():
        SKIPS.labels(gap).inc(n)
