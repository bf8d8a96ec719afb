"""Projections names the stages from the journey's own rules file: one setting, not two."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.stages import DEFAULT_STAGE_NAMES
from services.common.rules_file import EXAMPLE, RulesError
from services.journey.rules_file import load_rules
from services.projections.settings import ProjectionsSettings

RENAMED = EXAMPLE.replace("Call to Discovery", "First Contact").replace("Mastery", "Partnership")


def test_without_a_rules_file_the_stages_have_their_default_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CRM_JOURNEY_RULES_FILE", raising=False)

    assert ProjectionsSettings().names() == DEFAULT_STAGE_NAMES


def test_projections_names_the_stages_as_the_journeys_rules_file_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "journey-rules.yaml"
    rules.write_text(RENAMED)
    monkeypatch.setenv("CRM_JOURNEY_RULES_FILE", str(rules))

    names = ProjectionsSettings().names()

    assert (names[0], names[5]) == ("First Contact", "Partnership")
    assert names == load_rules(rules).names


def test_a_bad_rules_file_is_refused_by_projections_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "journey-rules.yaml"
    rules.write_text(RENAMED.replace("threshold: 25", "threshold: zero"))
    monkeypatch.setenv("CRM_JOURNEY_RULES_FILE", str(rules))

    with pytest.raises(RulesError, match=r"journey-rules\.yaml line 3: stage 2 `threshold`"):
        ProjectionsSettings().names()
