"""Delivery counters shared by every service's consumers."""

from prometheus_client import Counter, Gauge

HANDLED = Counter("crm_events_handled_total", "Events handled by a consumer group", ["group"])
DEAD_LETTERED = Counter(
    "crm_events_dead_lettered_total", "Events sent to a dead-letter topic", ["group"]
)
TRANSIENT_FAILURES = Counter(
    "crm_consumer_transient_failures_total",
    "Batches left uncommitted because a dependency was down",
    ["group"],
)
CONSUMER_LAG = Gauge(
    "crm_consumer_lag_events",
    "Events in the log after the last batch a group committed",
    ["group", "topic", "partition"],
)
PUBLISHED = Counter("crm_events_published_total", "Events published", ["topic"])
