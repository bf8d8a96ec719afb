"""The rules file: the example is accepted; every mistake is refused naming its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.rules_file import EXAMPLE, RulesError, parse_rules_file
from services.journey.domain.rules import DEFAULT_RULES, Rules
from services.journey.rules_file import load_rules, rules_from

P = pytest.param
SIX_STAGES = "".join(
    f"  - name: Stage {n}\n    threshold: {t}\n"
    for n, t in enumerate(DEFAULT_RULES.thresholds, start=1)
)


def parse_rules(text: str, source: str = "rules") -> Rules:
    return rules_from(parse_rules_file(text, source))


def edited(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new)


def test_the_example_file_gives_the_default_stages_with_its_cta_points_and_no_decay() -> None:
    rules = parse_rules(EXAMPLE)
    assert (rules.names, rules.thresholds) == (DEFAULT_RULES.names, DEFAULT_RULES.thresholds)
    assert (dict(rules.cta_points), rules.half_life_days) == ({"schedule-discovery-call": 10}, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        P(edited("half_life_days: null", "half_life_days: 14"), Rules(half_life_days=14.0),
          id="a whole-day half-life"),
        P(edited("half_life_days: null", "half_life_days: 0.5"), Rules(half_life_days=0.5),
          id="a fractional half-life"),
        P(f"stages:\n{SIX_STAGES}ctas:\ndecay:\n", Rules(), id="block style, empty ctas and decay"),
        P(f"stages:\n{SIX_STAGES}", Rules(), id="stages alone"),
    ],
)  # fmt: skip
def test_a_valid_rules_file_is_read_into_rules(text: str, expected: Rules) -> None:
    rules = parse_rules(text)
    assert (rules.thresholds, rules.half_life_days) == (
        expected.thresholds,
        expected.half_life_days,
    )


# fmt: off
MISTAKES = [
    P(edited("threshold: 75}", "threshold: 25}"), 4,
      "stage 3 threshold 25 must be greater than stage 2's 25", id="equal thresholds"),
    P(edited("threshold: 150}", "threshold: 70}"), 5,
      "stage 4 threshold 70 must be greater than stage 3's 75", id="decreasing thresholds"),
    P(edited("threshold: 0}", "threshold: 5}"), 2, "stage 1 threshold must be 0, not 5",
      id="first threshold not 0"),
    P(edited("  - {name: Mastery, threshold: 400}\n", ""), 2,
      "there must be exactly 6 stages, found 5", id="five stages"),
    P(edited("ctas:", "  - {name: Beyond, threshold: 900}\nctas:"), 2,
      "there must be exactly 6 stages, found 7", id="seven stages"),
    P(edited("schedule-discovery-call: 10", "schedule-discovery-call: 0"), 9,
      "CTA 'schedule-discovery-call' base points must be 1 to 50, not 0", id="cta points 0"),
    P(edited("schedule-discovery-call: 10", "schedule-discovery-call: 51"), 9,
      "base points must be 1 to 50, not 51", id="cta points 51"),
    P(edited("schedule-discovery-call: 10", "schedule-discovery-call: ten"), 9,
      "base points must be 1 to 50, not 'ten'", id="cta points not a number"),
    P(edited("threshold: 75}", "threshold: 75.5}"), 4,
      "stage 3 `threshold` must be a whole number", id="fractional threshold"),
    P(edited("threshold: 150}", "threshold: lots}"), 5,
      "stage 4 `threshold` must be a whole number", id="threshold not a number"),
    P(edited("  - {name: Exploration, threshold: 25}", "  - {name: Exploration}"), 3,
      "stage 2 `threshold` must be a whole number", id="missing threshold"),
    P(edited("{name: Validation, threshold: 75}", "{name: Validation, threshold: 75"), 5,
      "not valid YAML", id="unclosed brace"),
    P(edited("ctas:", "ctas: [oops"), 9, "not valid YAML", id="unclosed list"),
    P(edited("ctas:", "colours: blue\nctas:"), 8, "unknown key `colours`", id="unknown top key"),
    P(edited("threshold: 25}", "threshold: 25, colour: red}"), 3,
      "stage 2: unknown key `colour`", id="unknown stage key"),
    P(edited("half_life_days: null", "half_life_day: 7"), 11,
      "unknown key `half_life_day` in `decay`", id="misspelt half-life"),
    P(edited("half_life_days: null", "half_life_days: 0"), 11,
      "`half_life_days` must be a positive number, not 0", id="zero half-life"),
    P(edited("half_life_days: null", "half_life_days: -3"), 11,
      "must be a positive number, not -3", id="negative half-life"),
    P(edited("half_life_days: null", "half_life_days: a week"), 11,
      "must be a positive number, not 'a week'", id="half-life in words"),
    P(edited("half_life_days: null", "half_life_days: true"), 11,
      "must be a positive number, not True", id="boolean half-life"),
    P(edited("half_life_days: null", "half_life_days: .nan"), 11,
      "must be a positive number, not nan", id="NaN half-life"),
    P(edited("half_life_days: null", "half_life_days: .inf"), 11,
      "must be a positive number, not inf", id="infinite half-life"),
    P(edited("decay:                  #", "decay: 7 #").replace("  half_life_days: null\n", ""),
      10, "`decay` must be a mapping", id="decay not a mapping"),
    P("- just\n- a list\n", 1, "expected a mapping with `stages`", id="not a mapping"),
    P("ctas:\n  a: 1\n", 1, "`stages` is missing", id="no stages"),
]
# fmt: on


@pytest.mark.parametrize(("text", "line", "problem"), MISTAKES)
def test_a_rules_file_mistake_is_refused_naming_the_line_and_the_problem(
    text: str, line: int, problem: str
) -> None:
    with pytest.raises(RulesError) as refused:
        parse_rules(text, "journey-rules.yaml")
    assert str(refused.value).startswith(f"journey-rules.yaml line {line}: ")
    assert problem in str(refused.value)


def test_a_rules_file_is_loaded_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(edited("half_life_days: null", "half_life_days: 30"))
    assert load_rules(path).half_life_days == 30.0


def test_a_missing_rules_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RulesError, match=r"nope\.yaml: cannot read the rules file"):
        load_rules(missing)
