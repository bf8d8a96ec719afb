from collections.abc import Sequence

from prometheus_client import Counter

from schemas.envelope import Event

DECIDED = Counter(
    "crm_journey_events_decided_total", "Events the journey service recorded", ["type"]
)
SKIPS = Counter("crm_journey_skips_total", "Clicks that skipped stages, by gap", ["gap"])


def count(events: Sequence[Event]) -> None:
    for event in events:
        DECIDED.labels(event.type).inc()
        if event.type == "stage.skipped.v1":
            SKIPS.labels(str(getattr(event, "gap", ""))).inc()
