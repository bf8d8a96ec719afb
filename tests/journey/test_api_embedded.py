"""The journey API as consultants use it, on the running embedded product."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.processes import ROOT, poll
from tests.product import Product


def event(kind: str, visitor: str, minute: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "visitor_id": visitor,
        "occurred_at": f"2026-11-24T10:{minute:02d}:00Z",
        **fields,
    }


def click(visitor: str, minute: int, stage: int, points: int, cta: str = "guide") -> dict[str, Any]:
    return event(
        "cta.clicked",
        visitor,
        minute,
        cta={"id": cta, "label": cta.title(), "stage": stage, "points": points},
    )


def ledger_sum(entries: list[dict[str, Any]]) -> int:
    """What the timeline says the points are: awards less decay, imports, manual adjustments."""
    total = 0
    for e in entries:
        if e["kind"] == "points.awarded":
            total += e["points"] - e["decayed"]
        elif e["kind"] == "prospect.created":
            total += e["points"]
        elif e["kind"] == "prospect.moved_manually":
            total += e["points_delta"]
        elif e["kind"] == "prospects.merged":
            total -= e["decayed"] + e["merged_decayed"]
    return total


def test_two_visitors_with_one_email_merge_and_keep_both_histories(product: Product) -> None:
    a, b = f"v-{uuid.uuid4().hex[:6]}", f"v-{uuid.uuid4().hex[:6]}"
    email = f"{a}@example.com"
    product.post({"events": [click(a, 0, 2, 20, "pricing"), click(a, 1, 4, 10, "demo")]})
    product.post(
        {
            "events": [
                click(b, 2, 1, 5, "blog"),
                event("inquiry.submitted", b, 3, email=email, form_id="contact"),
            ]
        }
    )
    assert poll(lambda: product.prospect(b), lambda r: r.status_code == 200).status_code == 200
    product.post(event("visitor.identified", a, 4, email=email))

    merged = poll(lambda: product.prospect(b).json(), lambda p: p["id"] == a)
    assert merged["id"] == a, "the elder prospect survives"
    assert merged["merged_ids"] == [b]
    assert merged["points"] == 20 + 30 + 5
    assert merged["clicks"] == 3
    assert merged["entry_point"]["cta_id"] == "pricing"
    assert [ep["kind"] for ep in merged["entry_point_history"]] == ["cta", "cta", "inquiry"]

    timeline = product.get(f"/v1/prospects/{a}/timeline").json()
    kinds = [e["kind"] for e in timeline["entries"]]
    assert kinds.count("points.awarded") == 3 and kinds.count("prospects.merged") == 1
    assert ledger_sum(timeline["entries"]) == merged["points"] == timeline["points"]
    stamps = [e["occurred_at"] for e in timeline["entries"] if e["kind"] == "points.awarded"]
    assert len(stamps) == 3


def test_a_skip_and_a_multi_stage_jump_show_on_the_timeline(product: Product) -> None:
    v = f"v-{uuid.uuid4().hex[:6]}"
    product.post(click(v, 0, 6, 50))
    found = poll(lambda: product.prospect(v), lambda r: r.status_code == 200).json()
    assert (found["stage"], found["points"]) == (5, 250)
    entries = product.get(f"/v1/prospects/{v}/timeline").json()["entries"]
    skip = next(e for e in entries if e["kind"] == "stage.skipped")
    assert (skip["current_stage"], skip["target_stage"], skip["gap"]) == (1, 6, 5)
    change = next(e for e in entries if e["kind"] == "stage.changed")
    assert (change["old_stage"], change["new_stage"], change["cause"]) == (1, 5, "points")
    assert [p["stage"] for p in found["stage_periods"]] == [1, 5]
    assert set(found["seconds_in_stage"]) == {"1", "5"}


def test_the_import_command_takes_a_whole_file_or_nothing(product: Product, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("email,name,stage,points\ncli-ann@example.com,Ann,4,160\n")
    bad.write_text(
        "email,name,stage,points\ncli-bob@example.com,Bob,2,30\ncli-cid@example.com,Cid,two,0\n"
    )
    cli = [sys.executable, "-m", "services.cli", "import", "--data-dir", str(product.data_dir)]

    refused = subprocess.run([*cli, str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 1
    assert '"line": 3' in refused.stdout and '"imported": 0' in refused.stdout
    done = subprocess.run([*cli, str(good)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"imported": 1' in done.stdout

    from services.journey.commands.importing import prospect_id_for

    ann = product.prospect(prospect_id_for("cli-ann@example.com")).json()
    assert (ann["stage"], ann["points"], ann["imported"], ann["entry_point"]) == (
        4,
        160,
        True,
        None,
    )
    assert product.prospect(prospect_id_for("cli-bob@example.com")).status_code == 404


def test_a_csv_upload_with_a_stray_carriage_return_is_refused_with_a_422_not_a_500(
    product: Product,
) -> None:
    """Found by the OpenAPI fuzz test: a lone \\r inside a cell made the CSV reader raise."""
    body = b"email,name\ncr-ann@example.com,A\rnn\n"
    answer = httpx.post(
        f"{product.base}/v1/prospects/import",
        content=body,
        headers={"Authorization": f"Bearer {product.token}", "Content-Type": "text/csv"},
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["imported"] == 0
    assert [r["line"] for r in answer.json()["rejected"]] == [3]


def test_a_bad_rules_file_stops_start_up_naming_the_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "stages:\n"
        + "".join(
            f"  - {{name: S{n}, threshold: {t}}}\n"
            for n, t in enumerate([0, 25, 75, 70, 250, 400], 1)
        )
    )
    started = subprocess.run(
        [sys.executable, "-m", "services.cli", "run", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CRM_JOURNEY_RULES_FILE": str(rules)},
        timeout=60,
    )
    assert started.returncode == 2
    assert (
        f"{rules} line 5: stage 4 threshold 70 must be greater than stage 3's 75" in started.stderr
    )
