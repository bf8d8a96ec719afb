import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas.billing import TierUpgradedV1
from services.billing.domain import (
    DEFAULT_LADDER,
    Allowed,
    Denied,
    access,
    current_tier,
    playbook_access,
)
from services.billing.tiers import TiersError, parse_ladder

T0 = datetime(2026, 12, 1, tzinfo=UTC)
GATED = "unlock-accelerator-playbooks"


def upgraded(new: str, old: str = "Explorer", minutes: int = 0) -> TierUpgradedV1:
    return TierUpgradedV1(
        event_id=uuid.uuid4(),
        occurred_at=T0 + timedelta(minutes=minutes),
        subject_id="v-1",
        old_tier=old,
        new_tier=new,
        source="checkout",
    )


def test_a_prospect_with_no_upgrade_is_an_explorer() -> None:
    assert current_tier(DEFAULT_LADDER, []).name == "Explorer"


def test_the_last_change_billing_recorded_gives_the_tier() -> None:
    history = [upgraded("Accelerator"), upgraded("Enterprise", "Accelerator", minutes=5)]
    assert current_tier(DEFAULT_LADDER, history).name == "Enterprise"
    assert current_tier(DEFAULT_LADDER, history[:1]).name == "Accelerator"


def test_an_explorer_on_an_accelerator_cta_is_denied_with_both_tiers() -> None:
    decided = access(DEFAULT_LADDER, current_tier(DEFAULT_LADDER, []), GATED)
    assert isinstance(decided, Denied)
    assert (decided.current.name, decided.required.name) == ("Explorer", "Accelerator")
    assert "All gated playbooks" in decided.required.features
    assert "All gated playbooks" not in decided.current.features


def test_an_accelerator_and_an_enterprise_may_follow_an_accelerator_cta() -> None:
    for tier in ("Accelerator", "Enterprise"):
        current = current_tier(DEFAULT_LADDER, [upgraded(tier)])
        assert isinstance(access(DEFAULT_LADDER, current, GATED), Allowed)


def test_an_accelerator_is_denied_an_enterprise_cta() -> None:
    current = current_tier(DEFAULT_LADDER, [upgraded("Accelerator")])
    decided = access(DEFAULT_LADDER, current, "book-enterprise-consultant")
    assert isinstance(decided, Denied) and decided.required.name == "Enterprise"


def test_a_cta_the_ladder_does_not_gate_is_allowed_for_an_explorer() -> None:
    assert isinstance(access(DEFAULT_LADDER, DEFAULT_LADDER.lowest, "newsletter"), Allowed)


LADDER = """\
tiers:
  - name: Free
    features: [Blog]
  - name: Pro
    price: price_pro
    features: [Blog, Playbooks]
ctas:
  pro-playbook: Pro
playbooks:
  scaling: Pro
"""


def test_a_tiers_file_sets_the_ladder_its_prices_and_gated_ctas() -> None:
    ladder = parse_ladder(LADDER)
    assert [t.name for t in ladder.tiers] == ["Free", "Pro"]
    assert ladder.tiers[1].price_id == "price_pro"
    decided = access(ladder, ladder.lowest, "pro-playbook")
    assert isinstance(decided, Denied) and decided.required.features == ("Blog", "Playbooks")


def test_a_tiers_file_gates_playbooks_and_leaves_the_others_open() -> None:
    ladder = parse_ladder(LADDER)
    assert ladder.playbooks == {"scaling": "Pro"}
    decided = playbook_access(ladder, ladder.lowest, "scaling")
    assert isinstance(decided, Denied) and decided.required.name == "Pro"
    assert isinstance(playbook_access(ladder, ladder.tiers[1], "scaling"), Allowed)
    assert isinstance(playbook_access(ladder, ladder.lowest, "welcome"), Allowed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            LADDER.replace("  pro-playbook: Pro", "  pro-playbook: Gold"),
            "line 8: CTA 'pro-playbook'",
        ),
        (LADDER.replace("    price: price_pro\n", ""), "tier 'Pro' needs a `price`"),
        (LADDER.replace("features: [Blog]", "colour: red"), "line 3: tier 1: unknown key `colour`"),
        (LADDER.replace("ctas:", "cats:"), "line 7: unknown key `cats`"),
        (
            LADDER.replace("  scaling: Pro", "  scaling: Gold"),
            "line 10: playbook 'scaling' needs 'Gold'",
        ),
        (LADDER.replace("  scaling: Pro", "  - scaling"), "line 10: `playbooks` must map"),
        ("tiers: [{name: Only}]", "line 1: `tiers` must list at least two"),
        ("tiers: [a, b", "not valid YAML"),
        (LADDER.replace("name: Pro", "name: Free"), "line 4: tier 'Free' is listed twice"),
    ],
)
def test_a_bad_tiers_file_is_refused_naming_the_line_and_the_problem(
    text: str, message: str
) -> None:
    with pytest.raises(TiersError, match=r"^tiers") as refused:
        parse_ladder(text)
    assert message in str(refused.value)
