"""A seeded journey log: website events for a few hundred visitors (clicks, inquiries,
identifications that merge visitors, imports, consultants' moves), run through the journey's
own rules, as the journey service would have published them on `crm.journey`."""

from __future__ import annotations

import random
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from schemas.envelope import Event
from schemas.values import Cta, Utm
from schemas.web import CtaClickedV1, InquirySubmittedV1, ProspectImportedV1, VisitorIdentifiedV1
from services.journey.domain.decisions import decide_move
from services.journey.domain.rules import DEFAULT_RULES
from services.journey.domain.state import MoveStage, Prospect, evolve
from services.journey.tables.workset import Workset

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CTAS = [
    Cta(id="read-blog", label="Read the Blog", stage=1, points=3),
    Cta(id="schedule-discovery-call", label="Schedule Discovery Call", stage=1, points=10),
    Cta(id="download-guide", label="Download the Guide", stage=2, points=15),
    Cta(id="watch-webinar", label="Watch the Webinar", stage=2, points=10),
    Cta(id="compare-plans", label="Compare Plans", stage=3, points=20),
    Cta(id="case-studies", label="Read Case Studies", stage=3, points=12),
    Cta(id="book-demo", label="Book a Demo", stage=4, points=25),
    Cta(id="request-proposal", label="Request a Proposal", stage=4, points=30),
    Cta(id="start-onboarding", label="Start Onboarding", stage=5, points=40),
    Cta(id="join-community", label="Join the Community", stage=6, points=50),
]
UTMS = [
    Utm(source="google", medium="cpc", campaign="q4-search"),
    Utm(source="linkedin", medium="social", campaign="founders"),
    Utm(source="newsletter", medium="email", campaign="november"),
    Utm(),
]


@dataclass
class JourneyLog:
    events: list[Event]
    prospects: dict[str, Prospect]
    """The journey's own state at the end: every prospect not merged away."""


def uid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts)))


def journey_log(seed: int = 7, visitors: int = 300) -> JourneyLog:
    rng = random.Random(seed)
    emails = [f"person{i}@example.com" for i in range(visitors // 5)]
    steps: list[tuple[float, str, Event | None]] = []
    for n in range(visitors // 15):
        v = f"imported-{n}"
        row = ProspectImportedV1(
            event_id=uid("import", v),
            occurred_at=T0,
            subject_id=v,
            email=rng.choice(emails),
            stage=rng.randint(1, 5),
            points=rng.randint(0, 300),
            import_id=f"row-{n}",
        )
        steps.append((0.0, v, row))
    for n in range(visitors):
        v = f"v-{n:04d}"
        minute = rng.uniform(0, 60 * 24 * 20)
        for k in range(rng.randint(1, 16)):
            minute += rng.expovariate(1 / 300)
            steps.append((minute, v, _website_event(rng, v, k, minute, emails)))
            if rng.random() < 0.03:
                steps.append((minute + 1, v, None))  # a consultant moves the prospect
    steps.sort(key=lambda s: (s[0], s[1]))

    work = Workset(state={}, existing=set(), alias={}, emails={})
    events: list[Event] = []
    for i, (minute, v, step) in enumerate(steps):
        if step is not None:
            events += work.apply(step, DEFAULT_RULES)
            continue
        pid = work.alias.get(v, v)
        prospect = work.state.get(pid)
        to = rng.randint(1, 6)
        if prospect is None or to == prospect.stage:
            continue
        at = T0 + timedelta(minutes=minute)
        move = MoveStage(uid("move", i), pid, to, "phoned them", "ann@crm.io", at)
        for event in decide_move(prospect, move):
            moved = evolve(work.state[pid], event)
            assert moved is not None
            work.state[pid] = moved
            events.append(event)
    return JourneyLog(events, dict(work.state))


def _website_event(
    rng: random.Random, v: str, k: int, minute: float, emails: Sequence[str]
) -> Event:
    at = T0 + timedelta(minutes=minute)
    roll = rng.random()
    if k > 0 and roll < 0.05:
        return VisitorIdentifiedV1(
            event_id=uid("identify", v, k), occurred_at=at, subject_id=v, email=rng.choice(emails)
        )
    if k > 0 and roll < 0.10:
        return InquirySubmittedV1(
            event_id=uid("inquiry", v, k),
            occurred_at=at,
            subject_id=v,
            email=rng.choice(emails),
            form_id=rng.choice(["contact", "pricing-question", "partnership"]),
            page="https://example.com/contact",
            utm=rng.choice(UTMS),
        )
    cta = rng.choice(CTAS[:4] if k == 0 else CTAS)
    return CtaClickedV1(
        event_id=uid("click", v, k),
        occurred_at=at,
        subject_id=v,
        cta=cta,
        page=f"https://example.com/{cta.id}",
        utm=rng.choice(UTMS),
    )


def partitions(events: Sequence[Event], count: int = 3) -> list[list[Event]]:
    """The log as Kafka keeps it: by key, each partition in order, none ordered with another."""
    split: list[list[Event]] = [[] for _ in range(count)]
    for event in events:
        split[zlib.crc32(event.subject_id.encode()) % count].append(event)
    return split
