"""Which tiers a Talk to Sales request is about, and the message the form suggests."""

from __future__ import annotations

from services.billing.domain import DEFAULT_LADDER, Allowed, access
from services.billing.sales import prefilled_message, tiers_to_discuss

EXPLORER, ACCELERATOR, ENTERPRISE = DEFAULT_LADDER.tiers


def test_an_explorer_asking_from_an_enterprise_cta_asks_about_enterprise() -> None:
    decided = access(DEFAULT_LADDER, EXPLORER, "book-enterprise-consultant")
    assert tiers_to_discuss(DEFAULT_LADDER, decided) == ENTERPRISE


def test_without_a_gated_cta_the_request_is_about_the_next_tier_up() -> None:
    assert tiers_to_discuss(DEFAULT_LADDER, Allowed(EXPLORER)) == ACCELERATOR
    assert tiers_to_discuss(DEFAULT_LADDER, Allowed(ACCELERATOR)) == ENTERPRISE


def test_a_prospect_on_the_top_tier_asks_about_no_higher_tier() -> None:
    assert tiers_to_discuss(DEFAULT_LADDER, Allowed(ENTERPRISE)) is None


def test_the_suggested_message_names_both_tiers_or_just_the_plan_at_the_top() -> None:
    assert prefilled_message("Explorer", "Accelerator") == (
        "I am on Explorer and would like to talk about upgrading to Accelerator."
    )
    assert prefilled_message("Enterprise", None) == (
        "I am on Enterprise and would like to talk about my plan."
    )
