"""The journey's rules file (`CRM_JOURNEY_RULES_FILE`, YAML), read with errors that name the line
and the problem. Shared because two services read it: the journey scores by it, and projections
names the stages as it does."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from schemas.stages import DEFAULT_STAGE_NAMES, STAGES

EXAMPLE = """\
stages:                 # exactly six, thresholds strictly increasing from 0
  - {name: Call to Discovery, threshold: 0}
  - {name: Exploration, threshold: 25}
  - {name: Validation, threshold: 75}
  - {name: Commitment, threshold: 150}
  - {name: Construction, threshold: 250}
  - {name: Mastery, threshold: 400}
ctas:                   # optional: base points (1-50) per CTA id, overriding what sites send
  schedule-discovery-call: 10
decay:                  # optional: points halve every half_life_days of event time
  half_life_days: null
"""


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class RulesFile:
    """What a valid rules file says: six stage names and thresholds, CTA base points, decay."""

    names: tuple[str, ...]
    thresholds: tuple[int, ...]
    cta_points: Mapping[str, int]
    half_life_days: float | None


def stage_names(path: Path | None) -> tuple[str, ...]:
    """The stage names the rules file at `path` gives, or the defaults without one."""
    return load_rules_file(path).names if path is not None else DEFAULT_STAGE_NAMES


def load_rules_file(path: Path) -> RulesFile:
    try:
        text = path.read_text()
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file: {exc.strerror}") from exc
    return parse_rules_file(text, str(path))


def parse_rules_file(text: str, source: str = "rules") -> RulesFile:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise RulesError(f"{source}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc

    def fail(node: yaml.Node | None, problem: str) -> RulesError:
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        return RulesError(f"{source}{line}: {problem}")

    if not isinstance(root, yaml.MappingNode):
        raise fail(root, "expected a mapping with `stages` (and optional `ctas`, `decay`)")
    top = _mapping(root)
    unknown = set(top) - {"stages", "ctas", "decay"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(top[key][0], f"unknown key `{key}` (expected stages, ctas, decay)")
    if "stages" not in top:
        raise fail(root, "`stages` is missing")

    stages_node = top["stages"][1]
    if not isinstance(stages_node, yaml.SequenceNode):
        raise fail(stages_node, "`stages` must be a list of {name, threshold}")
    if len(stages_node.value) != len(STAGES):
        raise fail(
            stages_node,
            f"there must be exactly {len(STAGES)} stages, found {len(stages_node.value)}",
        )
    names: list[str] = []
    thresholds: list[int] = []
    for number, node in enumerate(stages_node.value, start=1):
        if not isinstance(node, yaml.MappingNode):
            raise fail(node, f"stage {number} must be a mapping {{name, threshold}}")
        fields = _mapping(node)
        extra = sorted(set(fields) - {"name", "threshold"})
        if extra:
            key = extra[0]
            raise fail(
                fields[key][0], f"stage {number}: unknown key `{key}` (expected name, threshold)"
            )
        name = _scalar(fields.get("name"))
        if not isinstance(name, str) or not name.strip():
            raise fail(node, f"stage {number} needs a non-empty `name`")
        threshold = _scalar(fields.get("threshold"))
        where = fields["threshold"][1] if "threshold" in fields else node
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise fail(where, f"stage {number} `threshold` must be a whole number")
        if number == 1 and threshold != 0:
            raise fail(where, f"stage 1 threshold must be 0, not {threshold}")
        if thresholds and threshold <= thresholds[-1]:
            raise fail(
                where,
                f"stage {number} threshold {threshold} must be greater than "
                f"stage {number - 1}'s {thresholds[-1]}",
            )
        names.append(name.strip())
        thresholds.append(threshold)

    cta_points: dict[str, int] = {}
    if "ctas" in top and top["ctas"][1].tag != "tag:yaml.org,2002:null":
        ctas_node = top["ctas"][1]
        if not isinstance(ctas_node, yaml.MappingNode):
            raise fail(ctas_node, "`ctas` must map CTA ids to base points")
        for cta_id, (key_node, value_node) in _mapping(ctas_node).items():
            points = _scalar((key_node, value_node))
            if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 50:
                raise fail(
                    value_node, f"CTA {cta_id!r} base points must be 1 to 50, not {points!r}"
                )
            cta_points[cta_id] = points

    half_life: float | None = None
    if "decay" in top and top["decay"][1].tag != "tag:yaml.org,2002:null":
        decay = top["decay"][1]
        if not isinstance(decay, yaml.MappingNode):
            raise fail(decay, "`decay` must be a mapping with `half_life_days`")
        entries = _mapping(decay)
        extra = sorted(set(entries) - {"half_life_days"})
        if extra:
            key = extra[0]
            raise fail(entries[key][0], f"unknown key `{key}` in `decay` (expected half_life_days)")
        value = _scalar(entries.get("half_life_days"))
        if value is not None:
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not number_ok or not math.isfinite(value) or value <= 0:
                where = entries["half_life_days"][1]
                raise fail(where, f"`half_life_days` must be a positive number, not {value!r}")
            half_life = float(value)

    return RulesFile(
        names=tuple(names),
        thresholds=tuple(thresholds),
        cta_points=cta_points,
        half_life_days=half_life,
    )


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _scalar(entry: tuple[yaml.Node, yaml.Node] | None) -> Any:
    if entry is None:
        return None
    node = entry[1]
    if not isinstance(node, yaml.ScalarNode):
        return node
    return yaml.safe_load(yaml.serialize(node))
