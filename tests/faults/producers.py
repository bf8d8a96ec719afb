"""The fault suite's websites: clients posting CTA clicks (and now and then an inquiry form) to the
two ingest instances at a steady rate, in batches, each client owning its visitors and sending a
visitor's next batch only after the last one was acknowledged. On any error, timeout or refused
connection a client retries the same body (the same event ids) after a pause, as real producers do
(the tracker, Segment's SDKs), honouring `Retry-After`, and moves to the other instance when one
does not answer. What it knows at the end is what the checker compares the system with: every event
it sent, and which of them ingest acknowledged (202), when."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.bench.e2e_workload import Workload, click, next_stage
from tests.faults.system import KEY

RETRY_AFTER_CAP_S = 5.0
INQUIRIES = 0.03  # of the events: an inquiry form (the latest one is the entry point)


def inquiry(visitor: str, form: int) -> dict[str, object]:
    """One email per visitor, so no two prospects merge (the checker does not fold merges)."""
    return {
        "type": "inquiry.submitted",
        "event_id": str(uuid.uuid4()),
        "visitor_id": visitor,
        "email": f"{visitor}@example.com",
        "form_id": f"form-{form}",
        "page": "https://example.com/contact",
    }


@dataclass
class Sent:
    events: dict[str, dict[str, object]] = field(default_factory=dict)  # by event id
    acked: set[str] = field(default_factory=set)
    ack_times: list[float] = field(default_factory=list)  # monotonic, one per acknowledged post
    bodies: list[bytes] = field(default_factory=list)  # acknowledged, for duplicate deliveries
    answers: Counter[str] = field(default_factory=Counter)  # status codes and transport errors
    duplicates_posted: int = 0

    def first_ack_after(self, moment: float) -> float | None:
        return next((t for t in self.ack_times if t >= moment), None)


class Producers:
    def __init__(self, ingest: list[str], run: str, visitors: int, clients: int, batch: int):
        self.ingest, self.run = ingest, run
        self.visitors, self.clients, self.batch = visitors, clients, batch
        self.sent = Sent()
        self.model = Workload(b"", [], 0)  # only to pick realistic next stages
        self.rng = random.Random(16)
        self.holding = True  # go on past the events asked for while faults are injected

    def _events(self, client: int) -> list[dict[str, object]]:
        mine = range(client, self.visitors, self.clients)
        out = []
        for _ in range(self.batch):
            v = self.rng.choice(mine)
            visitor = f"f-{self.run}-{v}"
            if self.rng.random() < INQUIRIES:
                event = inquiry(visitor, self.rng.randint(1, 3))
            else:
                known = self.model.prospects.get(visitor)
                stage = next_stage(self.rng, known.stage if known else 1)
                base = self.rng.randint(1, 15)
                self.model.fold(visitor, stage, base)
                event = click(visitor, stage, base)
            self.sent.events[str(event["event_id"])] = event
            out.append(event)
        return out

    async def post(self, http: httpx.AsyncClient, body: bytes, instance: int) -> int:
        """Post until acknowledged; returns the instance that acknowledged it."""
        pause = 0.2
        while True:
            base = self.ingest[instance % len(self.ingest)]
            try:
                r = await http.post(f"{base}/v1/events", content=body)
                self.sent.answers[str(r.status_code)] += 1
                if r.status_code == 202:
                    return instance
                if r.status_code not in (429, 500, 502, 503, 504):
                    raise AssertionError(f"ingest refused a valid batch: {r.status_code} {r.text}")
                wait = float(r.headers.get("Retry-After", pause))
                await asyncio.sleep(min(RETRY_AFTER_CAP_S, max(wait, pause)))
            except httpx.TransportError as exc:
                self.sent.answers[type(exc).__name__] += 1
                instance += 1  # the other ingest instance
                await asyncio.sleep(pause)
            pause = min(2.0, pause * 2)

    async def _client(self, http: httpx.AsyncClient, client: int, interval: float, until: int):
        instance = client
        next_at = time.monotonic()
        while self.holding or len(self.sent.events) < until:
            events = self._events(client)
            body = json.dumps({"events": events}).encode()
            instance = await self.post(http, body, instance)
            self.sent.acked.update(str(e["event_id"]) for e in events)
            self.sent.ack_times.append(time.monotonic())
            self.sent.bodies.append(body)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def run_until(self, events: int, rate: float) -> None:
        """Send at `rate` events/s until `events` were sent and nothing holds them."""
        interval = self.clients * self.batch / rate
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as http:
            await asyncio.gather(
                *(self._client(http, c, interval, events) for c in range(self.clients))
            )

    async def duplicate(self, batches: int) -> int:
        """Post `batches` acknowledged bodies again, unchanged: duplicate deliveries."""
        picked = self.rng.sample(self.sent.bodies, min(batches, len(self.sent.bodies)))
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as http:
            for body in picked:
                await self.post(http, body, 0)
                self.sent.duplicates_posted += len(json.loads(body)["events"])
        return len(picked)
