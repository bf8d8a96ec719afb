"""Seeded events of the read models besides the board, for prospects of a seeded journey: skip
alerts through their lifecycle (`crm.alerts`), tier upgrades and checkouts (`crm.billing`), gated
playbook views and submissions (`crm.content`), consultants' roadmap notes (`crm.planning`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from schemas.alerts import (
    AlertAcknowledgedV1,
    AlertActionedV1,
    AlertEscalatedV1,
    AlertExpiredV1,
    AlertRaisedV1,
    AlertRepeatedV1,
)
from schemas.billing import CheckoutStartedV1, TierUpgradedV1
from schemas.content import GatedContentSubmittedV1, GatedContentViewedV1, PlaybookCopyGeneratedV1
from schemas.envelope import Event
from schemas.planning import RoadmapNoteRecordedV1
from tests.projections.seeded import T0, uid

TIERS = ("Explorer", "Accelerator", "Summit")
PLAYBOOKS = ("scale-ops", "founder-os", "growth-loops")


def other_events(seed: int, prospects: Sequence[str]) -> list[Event]:
    """Each prospect's alerts, upgrades, playbook visits and notes, in time order."""
    rng = random.Random(seed)
    out: list[Event] = []
    for pid in prospects:
        start = rng.uniform(0, 60 * 24 * 20)
        out += _alerts(rng, pid, start) + _billing(rng, pid, start)
        out += _content(rng, pid, start) + _notes(rng, pid, start)
    return sorted(out, key=lambda e: (e.occurred_at, str(e.event_id)))


def _at(minute: float) -> dict[str, object]:
    return {"occurred_at": T0 + timedelta(minutes=minute)}


def _alerts(rng: random.Random, pid: str, start: float) -> list[Event]:
    if rng.random() < 0.4:
        return []
    alert = uid("alert", pid)
    urgent = rng.random() < 0.3

    def head(kind: str, minute: float) -> dict[str, object]:
        return {"event_id": uid(kind, pid), "subject_id": pid, "alert_id": alert, **_at(minute)}

    out: list[Event] = [
        AlertRaisedV1(
            **head("raised", start),
            priority="URGENT" if urgent else "HIGH",
            current_stage=1,
            target_stage=5 if urgent else 3,
            gap=4 if urgent else 2,
            recommended_action="call",
            expires_at=T0 + timedelta(minutes=start, days=7),
        )
    ]
    if rng.random() < 0.3:
        out.append(AlertRepeatedV1(**head("repeated", start + 3), count=2))
    if not urgent and rng.random() < 0.2:
        out.append(
            AlertEscalatedV1(
                **head("escalated", start + 5),
                priority="URGENT",
                target_stage=6,
                gap=5,
                reason="higher_target",
            )
        )
    roll = rng.random()
    if roll < 0.5:
        out.append(AlertAcknowledgedV1(**head("ack", start + rng.uniform(5, 600)), by="ann@crm.io"))
    if roll < 0.3:
        out.append(AlertActionedV1(**head("act", start + rng.uniform(600, 900)), by="bob@crm.io"))
    elif roll > 0.85:
        out.append(AlertExpiredV1(**head("expired", start + 60 * 24 * 7)))
    return out


def _billing(rng: random.Random, pid: str, start: float) -> list[Event]:
    out: list[Event] = []
    for k in range(rng.choice((0, 0, 1, 1, 2))):
        tier = k
        minute = start + 60 * (k + 1)
        out.append(
            CheckoutStartedV1(
                event_id=uid("checkout", pid, k),
                subject_id=pid,
                checkout_session_id=f"cs_{pid}_{k}",
                tier=TIERS[tier + 1],
                **_at(minute),
            )
        )
        out.append(
            TierUpgradedV1(
                event_id=uid("upgrade", pid, k),
                subject_id=pid,
                old_tier=TIERS[tier],
                new_tier=TIERS[tier + 1],
                source="checkout",
                **_at(minute + 2),
            )
        )
    return out


def _content(rng: random.Random, pid: str, start: float) -> list[Event]:
    out: list[Event] = []
    for k in range(rng.randint(0, 4)):
        playbook = rng.choice(PLAYBOOKS)
        variation = f"{playbook}-v{rng.randint(1, 3)}"
        common = {"subject_id": pid, "playbook_id": playbook, "variation_id": variation}
        minute = start + 10 * k
        if rng.random() < 0.2:
            out.append(
                PlaybookCopyGeneratedV1(
                    event_id=uid("generated", pid, k),
                    **common,
                    header="H",
                    paragraphs=("p",),
                    quote="q",
                    model="m",
                    **_at(minute - 1),
                )
            )
        out.append(
            GatedContentViewedV1(
                event_id=uid("view", pid, k), fallback=False, **common, **_at(minute)
            )
        )
        if rng.random() < 0.4:
            # Whole seconds: sums of them are exact, whatever order a batch adds them in.
            seconds = float(rng.randint(5, 300)) if rng.random() < 0.8 else None
            out.append(
                GatedContentSubmittedV1(
                    event_id=uid("submit", pid, k),
                    seconds_to_submit=seconds,
                    **common,
                    **_at(minute + 2),
                )
            )
    return out


def _notes(rng: random.Random, pid: str, start: float) -> list[Event]:
    return [
        RoadmapNoteRecordedV1(
            event_id=uid("note", pid, k),
            subject_id=pid,
            note_id=uid("note-id", pid, k),
            text=f"Phase {k + 1} for {pid}",
            author="c@example.com",
            **_at(start + 30 * k),
        )
        for k in range(rng.choice((0, 0, 1, 2)))
    ]


def upgrade_note_and_view(pid: str, minute: float) -> list[Event]:
    """One prospect's upgrade to Accelerator, a roadmap note and a playbook view."""
    common = {"subject_id": pid, **_at(minute)}
    return [
        TierUpgradedV1(
            event_id=uid("upgrade", pid, minute),
            old_tier="Explorer",
            new_tier="Accelerator",
            source="checkout",
            **common,
        ),
        RoadmapNoteRecordedV1(
            event_id=uid("note", pid, minute),
            note_id=uid("note-id", pid, minute),
            text=f"Kick-off for {pid}",
            author="c@example.com",
            **common,
        ),
        GatedContentViewedV1(
            event_id=uid("view", pid, minute),
            playbook_id="scale-ops",
            variation_id="scale-ops-v1",
            fallback=False,
            **common,
        ),
    ]
