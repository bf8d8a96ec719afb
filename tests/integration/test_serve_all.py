"""`crm-journey serve all` refuses to start without what guards the API, naming what is missing
(the browser tests in tests/e2e drive it once it has them)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.processes import CLI, ROOT, free_port

GUARDS = {"CRM_SESSION_SECRET": "a-secret", "CRM_INGEST_API_KEYS": "pk-site"}


def serve_all(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "serve", "all", "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(GUARDS))
def test_serve_all_refuses_to_start_without_a_secret_or_a_producer_key(missing: str) -> None:
    done = serve_all({**GUARDS, missing: ""})
    assert done.returncode == 2, done.stdout + done.stderr
    assert missing in done.stderr


def test_serve_all_refuses_a_bad_rules_file_naming_the_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    thresholds = [0, 25, 75, 70, 250, 400]
    rules.write_text(
        "stages:\n"
        + "".join(f"  - {{name: S{n}, threshold: {t}}}\n" for n, t in enumerate(thresholds, 1))
    )
    done = serve_all({**GUARDS, "CRM_JOURNEY_RULES_FILE": str(rules)})
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{rules} line 5: stage 4 threshold 70 must be greater than stage 3's 75" in done.stderr
