"""Whether the read models a consultant sees have caught up with a workload, asked over HTTP
with a consultant session as the pages do. Cheap first: the board's count per stage and the
alert feed's count per priority (two small requests); only when those match, the whole board
(every prospect's stage, points and clicks). The alerts service's own list is checked once at
the end, outside the clock: the feed is projected from its events, so it is never behind it."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.bench.e2e_workload import Workload

PAGE = 200


class ReadModels:
    def __init__(self, projections: str, alerts: str, token: str):
        headers = {"Authorization": f"Bearer {token}"}
        self.projections = httpx.Client(base_url=projections, headers=headers, timeout=30)
        self.alerts = httpx.Client(base_url=alerts, headers=headers, timeout=30)
        self.polls = 0

    def close(self) -> None:
        self.projections.close()
        self.alerts.close()

    def _get(self, client: httpx.Client, path: str, **params: Any) -> Any:
        r = client.get(path, params=params)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        return r.json()

    def counts(self) -> tuple[dict[int, int], dict[str, tuple[int, int]]]:
        self.polls += 1
        board = self._get(self.projections, "/v1/board", limit=1)
        feed = self._get(self.projections, "/v1/analytics/alerts")
        return (
            dict.fromkeys(range(1, 7), 0) | {s["stage"]: s["count"] for s in board["stages"]},
            {"HIGH": (0, 0), "URGENT": (0, 0)}
            | {p["priority"]: (p["raised"], p["escalated"]) for p in feed["priorities"]},
        )

    def _pages(self, client: httpx.Client, path: str, key: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            page = self._get(client, path, **params)
            rows += page[key]
            if not (cursor := page["next_cursor"]):
                return rows

    def board(self) -> dict[str, tuple[int, int, int]]:
        rows = self._pages(self.projections, "/v1/board", "rows")
        return {r["prospect_id"]: (r["stage"], r["points"], r["clicks"]) for r in rows}

    def alert_list(self) -> dict[str, tuple[str, int, int]]:
        rows = self._pages(self.alerts, "/v1/alerts", "alerts")
        return {r["prospect_id"]: (r["priority"], r["target_stage"], r["count"]) for r in rows}


def expected_board(w: Workload) -> dict[str, tuple[int, int, int]]:
    return {v: (p.stage, p.points, p.clicks) for v, p in w.prospects.items()}


def expected_alerts(w: Workload) -> dict[str, tuple[str, int, int]]:
    return {v: (a.priority, a.target, a.count) for v, a in w.alerts.items()}


def caught_up(models: ReadModels, w: Workload, timeout: float, pause: float = 0.05) -> bool:
    """Poll until the board and the alert feed show the workload's outcome, or time runs out."""
    stages, alerts = w.stage_counts(), w.alert_counts()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if models.counts() == (stages, alerts) and models.board() == expected_board(w):
            return True
        time.sleep(pause)
    return False


def differences(got: dict[str, Any], want: dict[str, Any], what: str) -> str:
    wrong = sorted(k for k in want.keys() | got.keys() if got.get(k) != want.get(k))
    shown = ", ".join(f"{k}: got {got.get(k)} want {want.get(k)}" for k in wrong[:5])
    return f"{what}: {len(wrong)} of {len(want)} differ ({shown})"
