"""The tier ladder file (`CRM_BILLING_TIERS_FILE`, YAML), read with errors that name the line and
the problem, as the journey's rules file is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from services.billing.domain import DEFAULT_LADDER, Ladder, Tier

EXAMPLE = """\
tiers:                  # lowest first; at least two
  - name: Explorer
    features: [Free playbooks, Community events]
  - name: Accelerator
    price: price_accelerator      # the Stripe price id Checkout charges
    features: [Free playbooks, Community events, All gated playbooks]
ctas:                   # CTA id -> the tier it needs; other CTAs are open to all
  unlock-accelerator-playbooks: Accelerator
playbooks:              # gated playbook id -> the tier it needs; other playbooks are open to all
  scaling-playbook: Accelerator
"""


class TiersError(ValueError):
    """A tiers file that cannot be used; the message names the file, the line and the problem."""


def load_ladder(path: Path | None) -> Ladder:
    if path is None:
        return DEFAULT_LADDER
    try:
        text = path.read_text()
    except OSError as exc:
        raise TiersError(f"{path}: cannot read the tiers file: {exc.strerror}") from exc
    return parse_ladder(text, str(path))


def parse_ladder(text: str, source: str = "tiers") -> Ladder:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise TiersError(f"{source}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc

    def fail(node: yaml.Node | None, problem: str) -> TiersError:
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        return TiersError(f"{source}{line}: {problem}")

    if not isinstance(root, yaml.MappingNode):
        raise fail(root, "expected a mapping with `tiers` (and optional `ctas`, `playbooks`)")
    top = _mapping(root)
    for key in sorted(set(top) - {"tiers", "ctas", "playbooks"}):
        raise fail(top[key][0], f"unknown key `{key}` (expected tiers, ctas, playbooks)")
    if "tiers" not in top:
        raise fail(root, "`tiers` is missing")
    listed = top["tiers"][1]
    if not isinstance(listed, yaml.SequenceNode) or len(listed.value) < 2:
        raise fail(listed, "`tiers` must list at least two tiers, lowest first")
    tiers: list[Tier] = []
    for number, node in enumerate(listed.value, start=1):
        if not isinstance(node, yaml.MappingNode):
            raise fail(node, f"tier {number} must be a mapping {{name, price, features}}")
        fields = _mapping(node)
        for key in sorted(set(fields) - {"name", "price", "features"}):
            raise fail(fields[key][0], f"tier {number}: unknown key `{key}`")
        name = _scalar(fields.get("name"))
        if not isinstance(name, str) or not name.strip():
            raise fail(node, f"tier {number} needs a non-empty `name`")
        if any(t.name == name.strip() for t in tiers):
            raise fail(fields["name"][1], f"tier {name!r} is listed twice")
        price = _scalar(fields.get("price"))
        if price is not None and (not isinstance(price, str) or not price.strip()):
            raise fail(fields["price"][1], f"tier {name!r} `price` must be a Stripe price id")
        features = fields.get("features")
        values = _scalar(features) if features is not None else []
        if not isinstance(values, list) or not all(isinstance(f, str) and f for f in values):
            where = features[1] if features is not None else node
            raise fail(where, f"tier {name!r} `features` must be a list of texts")
        tiers.append(Tier(name.strip(), tuple(values), price.strip() if price else None))
    for tier in tiers[1:]:
        if tier.price_id is None:
            raise fail(listed, f"tier {tier.name!r} needs a `price`: it can be bought")

    names = [t.name for t in tiers]
    ctas = _gated(top.get("ctas"), "CTA", names, fail)
    playbooks = _gated(top.get("playbooks"), "playbook", names, fail)
    return Ladder(tuple(tiers), ctas, playbooks)


def _gated(
    entry: tuple[yaml.Node, yaml.Node] | None,
    what: str,
    names: list[str],
    fail: Callable[[yaml.Node | None, str], TiersError],
) -> dict[str, str]:
    """A `ctas` or `playbooks` block: ids mapped to the tier each needs."""
    if entry is None or entry[1].tag == "tag:yaml.org,2002:null":
        return {}
    node = entry[1]
    if not isinstance(node, yaml.MappingNode):
        raise fail(node, f"`{entry[0].value}` must map {what} ids to tier names")
    gated: dict[str, str] = {}
    for key, pair in _mapping(node).items():
        needed = _scalar(pair)
        if needed not in names:
            raise fail(pair[1], f"{what} {key!r} needs {needed!r}, not a tier of {names}")
        gated[key] = needed
    return gated


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _scalar(entry: tuple[yaml.Node, yaml.Node] | None) -> Any:
    if entry is None:
        return None
    return yaml.safe_load(yaml.serialize(entry[1]))
