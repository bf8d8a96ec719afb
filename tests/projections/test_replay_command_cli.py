"""What an operator sees of `crm-journey replay`: the progress bar on stderr, the summary on
stdout, and plain refusals for what cannot be done (exit status 2 for bad input, 1 for a
refused drop)."""

from __future__ import annotations

import re
from pathlib import Path

from services.common.db import create_engine
from services.projections.models.board import EMPTY, project
from services.projections.tables import board as board_store
from services.projections.tables import versions
from tests.projections.replay_log import publish_embedded, replay, seeded_history


async def test_replay_draws_progress_on_stderr_and_reports_the_switch(tmp_path: Path) -> None:
    history = seeded_history(seed=5, visitors=200)
    await publish_embedded(tmp_path / "events.db", history)
    total = len(history)

    done = replay(["projections", "--data-dir", str(tmp_path)])

    assert done.returncode == 0, done.stderr
    frames = done.stderr.rstrip("\n").split("\r")[1:]
    assert frames[0].startswith(f"replaying: 0/{total:,} events (0%)")
    assert frames[-1].startswith(f"replaying: {total:,}/{total:,} events (100%), ")
    assert re.search(r"[\d,]+ events/s, ETA \d+ s", frames[-1])
    summary, kept = done.stdout.splitlines()
    assert summary.startswith(
        f"switched the read models to projections_board_v2: {total:,} events read "
        f"({total - len({e.event_id for e in history}):,} duplicates, 0 unreadable skipped), "
    )
    assert re.search(r", [\d.]+ s, [\d,]+ events/s$", summary)
    assert kept == (
        "kept projections_board_v1 (reads no longer use it); drop it with: "
        f"crm-journey replay drop-old 1 --data-dir {tmp_path}"
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'projections.db'}")
    try:
        async with engine.connect() as conn:
            rebuilt = await board_store.all_rows(conn, await versions.active_board(conn))
    finally:
        await engine.dispose()
    assert rebuilt == dict(project(EMPTY, list({e.event_id: e for e in history}.values())).rows)

    quiet = replay(["projections", "--data-dir", str(tmp_path), "--quiet"])
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "switched the read models to projections_board_v3" in quiet.stdout
    assert "drop-old 2" in quiet.stdout


def test_replay_refuses_what_it_cannot_do_and_says_why(tmp_path: Path) -> None:
    missing = replay(["projections", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.returncode == 2
    assert f"no data directory {tmp_path / 'nowhere'}" in missing.stderr

    no_log = replay(["projections", "--data-dir", str(tmp_path)])
    assert no_log.returncode == 2
    assert f"cannot replay: no embedded event log at {tmp_path / 'events.db'}" in no_log.stderr

    bogus = replay(["drop-old", "latest", "--data-dir", str(tmp_path)])
    assert bogus.returncode == 2
    assert "not a board version: 'latest'" in bogus.stderr

    unknown = replay(["drop-old", "9", "--data-dir", str(tmp_path)])
    assert unknown.returncode == 1
    assert "no board version 'projections_board_v9' here" in unknown.stderr

    active = replay(["drop-old", "1", "--data-dir", str(tmp_path)])
    assert active.returncode == 1
    assert "projections_board_v1 is the active board version" in active.stderr
