"""Delivery counters shared by every service's consumers."""

from prometheus_client import Counter, Gauge, Histogram

HANDLED = Counter("crm_events_handled_total", "Events handled by a consumer group", ["group"])
BATCH_EVENTS = Histogram(
    "crm_consumer_batch_events",
    "Events in each batch a consumer group was handed (a group's cost is mostly per batch)",
    ["group"],
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
)
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
