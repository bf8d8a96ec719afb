"""Each prospect's tier, from the billing service's tier changes (`tier.upgraded.v1` and
`tier.downgraded.v1` on `crm.billing`): the latest change by event time wins. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.billing import TierDowngradedV1, TierUpgradedV1
from schemas.envelope import Event


@dataclass(frozen=True)
class Tier:
    prospect_id: str
    tier: str
    upgraded_at: datetime


def tiers(known: Mapping[str, Tier], events: Iterable[Event]) -> dict[str, Tier]:
    """The tiers these events change, after them; `known` holds those already stored. A change
    older than the one stored (a late redelivery) changes nothing; a refund's downgrade, later
    than the purchase, wins over it."""
    out: dict[str, Tier] = {}
    for event in events:
        if not isinstance(event, TierUpgradedV1 | TierDowngradedV1):
            continue
        pid = event.subject_id
        current = out.get(pid) or known.get(pid)
        if current is None or event.occurred_at >= current.upgraded_at:
            out[pid] = Tier(pid, event.new_tier, event.occurred_at)
    return out


def tier_of(
    prospect_id: str, kept: Mapping[str, Tier], merged_into: Mapping[str, str], default: str
) -> str:
    """The prospect's tier: the latest upgrade of the prospect or of any visitor id merged into
    it (an upgrade bought before the merge stays bought), else the default tier."""
    mine = [
        t for pid, t in kept.items() if pid == prospect_id or merged_into.get(pid) == prospect_id
    ]
    return max(mine, key=lambda t: t.upgraded_at).tier if mine else default
