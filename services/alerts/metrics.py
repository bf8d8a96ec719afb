from collections.abc import Sequence

from prometheus_client import Counter

from schemas.envelope import Event

RECORDED = Counter("crm_alerts_events_total", "Alert lifecycle events recorded", ["type"])
RAISED = Counter("crm_alerts_raised_total", "Alerts raised, by priority", ["priority"])


def count(events: Sequence[Event]) -> None:
    for event in events:
        RECORDED.labels(event.type).inc()
        if event.type == "alert.raised.v1":
            RAISED.labels(str(getattr(event, "priority", ""))).inc()
