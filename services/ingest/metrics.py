from prometheus_client import Counter

ACCEPTED = Counter("crm_ingest_events_accepted_total", "Events accepted and published", ["type"])
REJECTED = Counter("crm_ingest_events_rejected_total", "Events rejected as invalid")
THROTTLED = Counter(
    "crm_ingest_events_throttled_total", "Events refused by a producer key's rate limit"
)
