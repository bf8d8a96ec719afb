"""Tier rules: the ladder's order, who may follow a CTA, a prospect's tier as the fold of their
`tier.upgraded.v1` and `tier.downgraded.v1` events, and what a refund, cancellation or lost
dispute takes back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from schemas.billing import TierDowngradedV1, TierUpgradedV1

TierChange = TierUpgradedV1 | TierDowngradedV1


@dataclass(frozen=True)
class Tier:
    name: str
    features: tuple[str, ...]
    price_id: str | None


@dataclass(frozen=True)
class Ladder:
    """Tiers from lowest to highest, and the tier each gated CTA and playbook needs."""

    tiers: tuple[Tier, ...]
    ctas: Mapping[str, str]
    playbooks: Mapping[str, str] = field(default_factory=dict)

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
class Gated:
    """What a prospect wants to open: a CTA or a gated playbook (exactly one)."""

    cta_id: str | None = None
    playbook_id: str | None = None

    def __post_init__(self) -> None:
        if (self.cta_id is None) == (self.playbook_id is None):
            raise ValueError("name a CTA or a playbook, not both nor neither")

    def __str__(self) -> str:
        return (
            f"CTA {self.cta_id!r}" if self.cta_id is not None else f"playbook {self.playbook_id!r}"
        )


@dataclass(frozen=True)
class Allowed:
    current: Tier


@dataclass(frozen=True)
class Denied:
    """What the upgrade modal shows: where the prospect is and what the CTA needs."""

    current: Tier
    required: Tier


def current_tier(ladder: Ladder, changes: Sequence[TierChange]) -> Tier:
    """The tier the last change left, `changes` in the order billing recorded them (its journal,
    written under one lock); the lowest tier without one."""
    found = ladder.tier(changes[-1].new_tier) if changes else None
    return found or ladder.lowest


def required_tier(ladder: Ladder, cta_id: str, declared: str | None = None) -> Tier | None:
    """The tier a CTA needs: the tiers file's word when it lists the CTA, else the tier its
    clicks declare (`cta.required_tier`, matched without regard to case); None when neither
    names a tier of the ladder."""
    needed = ladder.ctas.get(cta_id)
    if needed is not None:
        return ladder.tier(needed)
    if declared is None:
        return None
    return next((t for t in ladder.tiers if t.name.casefold() == declared.casefold()), None)


def decide(ladder: Ladder, current: Tier, required: Tier | None) -> Allowed | Denied:
    if required is None or ladder.rank(current.name) >= ladder.rank(required.name):
        return Allowed(current)
    return Denied(current, required)


def access(
    ladder: Ladder, current: Tier, cta_id: str, declared: str | None = None
) -> Allowed | Denied:
    """A CTA neither the ladder nor its clicks gate is open to everyone."""
    return decide(ladder, current, required_tier(ladder, cta_id, declared))


def playbook_access(ladder: Ladder, current: Tier, playbook_id: str) -> Allowed | Denied:
    """A playbook the tiers file does not list is open to everyone."""
    needed = ladder.playbooks.get(playbook_id)
    return decide(ladder, current, ladder.tier(needed) if needed is not None else None)


@dataclass(frozen=True)
class Downgrade:
    old_tier: str
    new_tier: str


def take_back(changes: Sequence[TierChange], intent_id: uuid.UUID) -> Downgrade | str:
    """What Stripe taking back the payment of one upgrade intent does: the tier returns to the
    one held before that upgrade, if the upgrade is still the prospect's last change. Otherwise a
    reason nothing changes: `not_upgraded` (the checkout never raised the tier),
    `already_downgraded` (a second refund or cancellation of the same purchase), `superseded`
    (a later purchase or change stands; refunding an old one does not undo it)."""
    bought = next(
        (
            i
            for i, c in enumerate(changes)
            if isinstance(c, TierUpgradedV1) and c.correlation_id == intent_id
        ),
        None,
    )
    if bought is None:
        return "not_upgraded"
    later = changes[bought + 1 :]
    if any(isinstance(c, TierDowngradedV1) and c.correlation_id == intent_id for c in later):
        return "already_downgraded"
    if later:
        return "superseded"
    upgrade = changes[bought]
    return Downgrade(old_tier=upgrade.new_tier, new_tier=upgrade.old_tier)
