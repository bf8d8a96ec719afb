"""Tier rules: the ladder's order, who may follow a CTA, and a prospect's tier as the fold of
their `tier.upgraded.v1` events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.billing import TierUpgradedV1


@dataclass(frozen=True)
class Tier:
    name: str
    features: tuple[str, ...]
    price_id: str | None


@dataclass(frozen=True)
class Ladder:
    """Tiers from lowest to highest, and the tier each gated CTA needs."""

    tiers: tuple[Tier, ...]
    ctas: Mapping[str, str]

    @property
    def lowest(self) -> Tier:
        return self.tiers[0]

    def tier(self, name: str) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def rank(self, name: str) -> int:
        """A tier's place on the ladder; a name the ladder no longer has counts as the lowest."""
        return next((i for i, t in enumerate(self.tiers) if t.name == name), 0)


DEFAULT_LADDER = Ladder(
    tiers=(
        Tier("Explorer", ("Free playbooks", "Community events"), None),
        Tier(
            "Accelerator",
            ("Free playbooks", "Community events", "All gated playbooks", "Monthly group coaching"),
            "price_accelerator",
        ),
        Tier(
            "Enterprise",
            (
                "Free playbooks",
                "Community events",
                "All gated playbooks",
                "Monthly group coaching",
                "A dedicated consultant",
            ),
            "price_enterprise",
        ),
    ),
    ctas={
        "unlock-accelerator-playbooks": "Accelerator",
        "book-enterprise-consultant": "Enterprise",
    },
)


@dataclass(frozen=True)
class Allowed:
    current: Tier


@dataclass(frozen=True)
class Denied:
    """What the upgrade modal shows: where the prospect is and what the CTA needs."""

    current: Tier
    required: Tier


def current_tier(ladder: Ladder, upgrades: Iterable[TierUpgradedV1]) -> Tier:
    """The tier of the newest upgrade, in event time; the lowest tier without one."""
    newest = max(upgrades, key=lambda e: e.occurred_at, default=None)
    found = ladder.tier(newest.new_tier) if newest is not None else None
    return found or ladder.lowest


def access(ladder: Ladder, current: Tier, cta_id: str) -> Allowed | Denied:
    """A CTA the ladder does not gate is open to everyone."""
    needed = ladder.ctas.get(cta_id)
    required = ladder.tier(needed) if needed is not None else None
    if required is None or ladder.rank(current.name) >= ladder.rank(required.name):
        return Allowed(current)
    return Denied(current, required)
