"""The seam between services and the event log: Kafka in production, an embedded SQLite log for
single-process use. Both implement `Transport` and hand batches to `deliver`, which owns the
retry and dead-letter policy so the two behave alike."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from schemas import topics
from schemas.catalogue import InvalidEvent, parse_event, serialize, topic_of
from schemas.envelope import Event
from services.common import metrics

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[Event]], Awaitable[None]]


class Record(NamedTuple):
    """One message as the log stored it. (Tuples: built per message, where a frozen dataclass's
    `__init__` cost a microsecond more.)"""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Subscription:
    """A consumer group reading topics in batches. The handler must be idempotent: delivery is
    at least once, and a batch is committed only after the handler returned."""

    group: str
    topics: tuple[str, ...]
    handler: Handler
    max_batch: int = 500
    max_attempts: int = 3
    retry_backoff_s: float = 0.05
    # The event types the handler acts on, when it ignores the rest: a record whose `type`
    # header names another is passed over unparsed (a third of what alerts is handed: it
    # ignores stage changes and rescores). Records without the header are parsed as ever.
    types: frozenset[str] | None = None


class Outgoing(NamedTuple):
    """A message ready to publish: the event's topic, keyed by its subject (a tuple, as
    `Record`)."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def of(cls, event: Event) -> Outgoing:
        return cls(
            topic_of(event),
            event.subject_id.encode(),
            serialize(event),
            (("type", event.type.encode()),),
        )


class Transport(Protocol):
    def subscribe(self, subscription: Subscription) -> None: ...

    async def publish(self, events: Sequence[Event]) -> None: ...

    async def publish_raw(self, messages: Sequence[Outgoing]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class TransientError(Exception):
    """Raised by `deliver` when the handler failed for a reason outside the messages (database
    or network down): the batch must not be committed nor dead-lettered, only retried later."""


# SQLSTATEs that blame the database, not the message: a connection exception (class 08), out
# of resources (53), the server shutting down, crashed or starting up (57P01-57P03: "the
# database system is not yet accepting connections" while it recovers from a crash), and a
# transaction to run again (serialization failure, deadlock).
TRANSIENT_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "40001", "40P01")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OSError | asyncio.TimeoutError | ConnectionError):
        return True
    name = type(exc).__name__
    if name in {"OperationalError", "InterfaceError"}:
        return True
    if getattr(exc, "connection_invalidated", False):
        return True
    # SQLAlchemy wraps the driver's error (`orig`), which carries the SQLSTATE (asyncpg's own
    # exceptions have it too). Found by the fault suite: a PostgreSQL crash restart answered
    # "not yet accepting connections" as a plain DBAPIError, and three quick attempts later
    # the batch's clicks were dead-lettered instead of waiting for the database.
    for cause in (exc, getattr(exc, "orig", None), exc.__cause__):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state.startswith(TRANSIENT_SQLSTATES):
            return True
    return False


async def deliver(
    records: Sequence[Record],
    sub: Subscription,
    dead_letter: Callable[[Sequence[Outgoing]], Awaitable[None]],
) -> None:
    """Hand `records` to the subscription's handler. Unparseable records, and records whose
    handling keeps failing, go to the group's dead-letter topic with the error; the rest are
    handled. Returns when the batch may be committed; raises TransientError when it may not."""
    metrics.BATCH_EVENTS.labels(sub.group).observe(len(records))
    parsed: list[tuple[Record, Event]] = []
    poison: list[Outgoing] = []
    for record in records:
        if sub.types is not None and _passed_over(record, sub.types):
            continue
        try:
            event = parse_event(record.value)
            if (home := topic_of(event)) != record.topic:
                # A producer's mistake, not an event this topic's consumers should pass over.
                raise InvalidEvent(
                    [{"field": "type", "message": f"{event.type} belongs on {home}"}]
                )
            parsed.append((record, event))
        except InvalidEvent as exc:
            poison.append(_dead(record, sub.group, exc, attempts=0))
    failure = await _attempt(sub, [e for _, e in parsed]) if parsed else None
    if failure is not None and len(parsed) == 1:
        poison.append(_dead(parsed[0][0], sub.group, failure, sub.max_attempts))
    elif failure is not None:
        # Find the poison: the rest of the batch still gets handled (idempotently, again).
        for record, event in parsed:
            if (error := await _attempt(sub, [event])) is not None:
                poison.append(_dead(record, sub.group, error, sub.max_attempts))
    if poison:
        await dead_letter(poison)
        metrics.DEAD_LETTERED.labels(sub.group).inc(len(poison))
    metrics.HANDLED.labels(sub.group).inc(len(records) - len(poison))


def _passed_over(record: Record, types: frozenset[str]) -> bool:
    for name, value in record.headers:
        if name == "type":
            return value.decode("utf-8", "replace") not in types
    return False


async def _attempt(sub: Subscription, events: Sequence[Event]) -> Exception | None:
    error: Exception | None = None
    for attempt in range(1, sub.max_attempts + 1):
        try:
            await sub.handler(events)
            return None
        except Exception as exc:
            if is_transient(exc):
                raise TransientError(str(exc)) from exc
            error = exc
            log.warning(
                "group %s: %d event(s) failed (attempt %d): %r",
                sub.group,
                len(events),
                attempt,
                exc,
            )
            await asyncio.sleep(sub.retry_backoff_s * attempt)
    return error


def _dead(record: Record, group: str, error: BaseException, attempts: int) -> Outgoing:
    detail = "".join(traceback.format_exception_only(error)).strip()[:2000]
    headers = (
        ("x-error", detail.encode()),
        ("x-error-type", type(error).__name__.encode()),
        ("x-source-topic", record.topic.encode()),
        ("x-source-partition", str(record.partition).encode()),
        ("x-source-offset", str(record.offset).encode()),
        ("x-group", group.encode()),
        ("x-attempts", str(attempts).encode()),
        ("x-failed-at", datetime.now(UTC).isoformat().encode()),
    )
    return Outgoing(
        topics.dead_letter(group), record.key or b"", record.value, record.headers + headers
    )
