"""The journey's rules from the rules file, whose reading is shared with projections."""

from __future__ import annotations

from pathlib import Path

from services.common.rules_file import RulesFile, load_rules_file
from services.journey.domain.rules import Rules


def load_rules(path: Path) -> Rules:
    """The rules the file at `path` sets; a bad file raises RulesError naming the line."""
    return rules_from(load_rules_file(path))


def rules_from(file: RulesFile) -> Rules:
    return Rules(file.names, file.thresholds, file.cta_points, file.half_life_days)
