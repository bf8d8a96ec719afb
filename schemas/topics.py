"""Topic names, in one place. Every event type lives on exactly one topic."""

from __future__ import annotations

WEB = "crm.web"
JOURNEY = "crm.journey"
ALERTS = "crm.alerts"
CONTENT = "crm.content"
BILLING = "crm.billing"
PLANNING = "crm.planning"

ALL = (WEB, JOURNEY, ALERTS, CONTENT, BILLING, PLANNING)


def dead_letter(group: str) -> str:
    """The dead-letter topic of one consumer group: what that group could not process."""
    return f"crm.dlq.{group}"
