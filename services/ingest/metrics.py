from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter

from schemas.envelope import Event

ACCEPTED = Counter("crm_ingest_events_accepted_total", "Events accepted and published", ["type"])
REJECTED = Counter("crm_ingest_events_rejected_total", "Events rejected as invalid")
THROTTLED = Counter(
    "crm_ingest_events_throttled_total", "Events refused by a producer key's rate limit"
)
SEGMENT = Counter(
    "crm_ingest_segment_messages_total",
    "Segment messages: published (by event type), skipped (by reason) or rejected",
    ["type", "outcome"],
)


def count_accepted(events: Iterable[Event]) -> None:
    """One increment per event type, not per event (a labelled increment takes a lock)."""
    for kind, n in Tally(e.type for e in events).items():
        ACCEPTED.labels(kind).inc(n)
