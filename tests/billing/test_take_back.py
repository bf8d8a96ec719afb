"""Pure rules of a refund, cancellation or lost dispute, and of the tier a CTA's clicks declare."""

import uuid
from datetime import UTC, datetime, timedelta

from schemas.billing import TierDowngradedV1, TierUpgradedV1
from services.billing.domain import (
    DEFAULT_LADDER,
    Allowed,
    Denied,
    Downgrade,
    TierChange,
    access,
    current_tier,
    take_back,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
FIRST, SECOND = uuid.uuid4(), uuid.uuid4()


def up(intent: uuid.UUID, old: str, new: str, minute: int) -> TierUpgradedV1:
    return TierUpgradedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(minutes=minute),
        subject_id="v-1",
        old_tier=old,
        new_tier=new,
        source="checkout",
        correlation_id=intent,
    )


def down(intent: uuid.UUID, old: str, new: str, minute: int) -> TierDowngradedV1:
    return TierDowngradedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(minutes=minute),
        subject_id="v-1",
        old_tier=old,
        new_tier=new,
        cause="refund",
        stripe_event_id=f"evt_{minute}",
        correlation_id=intent,
    )


def test_taking_back_the_last_purchase_returns_the_tier_held_before_it() -> None:
    bought = [up(FIRST, "Explorer", "Accelerator", 1)]
    assert take_back(bought, FIRST) == Downgrade(old_tier="Accelerator", new_tier="Explorer")


def test_after_the_downgrade_the_prospect_is_back_at_the_lower_tier_and_denied_again() -> None:
    history: list[TierChange] = [
        up(FIRST, "Explorer", "Accelerator", 1),
        down(FIRST, "Accelerator", "Explorer", 2),
    ]
    current = current_tier(DEFAULT_LADDER, history)
    assert current.name == "Explorer"
    assert isinstance(access(DEFAULT_LADDER, current, "unlock-accelerator-playbooks"), Denied)


def test_a_second_refund_of_the_same_purchase_changes_nothing() -> None:
    history: list[TierChange] = [
        up(FIRST, "Explorer", "Accelerator", 1),
        down(FIRST, "Accelerator", "Explorer", 2),
    ]
    assert take_back(history, FIRST) == "already_downgraded"


def test_refunding_an_old_purchase_does_not_undo_a_later_one() -> None:
    history = [up(FIRST, "Explorer", "Accelerator", 1), up(SECOND, "Accelerator", "Enterprise", 2)]
    assert take_back(history, FIRST) == "superseded"
    assert take_back(history, SECOND) == Downgrade(old_tier="Enterprise", new_tier="Accelerator")


def test_a_checkout_that_never_raised_the_tier_has_nothing_to_take_back() -> None:
    assert take_back([up(FIRST, "Explorer", "Accelerator", 1)], SECOND) == "not_upgraded"


def test_a_cta_the_tiers_file_does_not_list_is_gated_by_the_tier_its_clicks_declare() -> None:
    explorer = DEFAULT_LADDER.lowest
    declared = access(DEFAULT_LADDER, explorer, "webinar-vip", declared="accelerator")
    assert isinstance(declared, Denied) and declared.required.name == "Accelerator"
    assert isinstance(access(DEFAULT_LADDER, explorer, "webinar-vip"), Allowed)
    # A tier the ladder does not have gates nothing; the tiers file's word beats a click's.
    assert isinstance(access(DEFAULT_LADDER, explorer, "webinar-vip", declared="gold"), Allowed)
    listed = access(DEFAULT_LADDER, explorer, "book-enterprise-consultant", declared="Accelerator")
    assert isinstance(listed, Denied) and listed.required.name == "Enterprise"
