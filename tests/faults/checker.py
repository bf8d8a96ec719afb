"""The fault suite's checker. It takes what ingest acknowledged (the producers' record) and what
the event log holds (`crm.web`, read from Kafka), folds every distinct event in log order with the
journey rules as tests/bench/e2e_workload.py implements them from DESIGN.md (not the product's
code; an inquiry form: the prospect exists, the latest form is its entry point), and compares the
result with what each service ends up holding: the journey's prospects (stage, points, clicks,
entry point), the board's rows, the alerts. Duplicates in the log (a retried post, a duplicate
delivery) must count once; injected poison must be in a dead-letter topic, and nothing else
may be."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import ConsumerRecord

from tests.bench.e2e_readmodels import PAGE
from tests.bench.e2e_workload import Prospect, Workload

Entry = tuple[str, str] | None  # ("cta", its id) or ("inquiry", the form's id)
Holding = tuple[int, int, int, Entry]  # stage, points, clicks, entry point


@dataclass
class Expected:
    fold: Workload
    entry: dict[str, Entry] = field(default_factory=dict)
    log_records: int = 0
    distinct: int = 0
    in_log: set[str] = field(default_factory=set)

    def prospects(self) -> dict[str, Holding]:
        return {
            v: (p.stage, p.points, p.clicks, self.entry.get(v))
            for v, p in self.fold.prospects.items()
        }

    def alerts(self) -> dict[str, tuple[str, int, int]]:
        return {v: (a.priority, a.target, a.count) for v, a in self.fold.alerts.items()}


def expected_from_log(records: list[ConsumerRecord], poison: set[str]) -> Expected:
    """Fold the log's clicks, each event id once, in the order the log holds them (a visitor's
    events share a partition, so that is the order the journey sees them in)."""
    out = Expected(Workload(b"", [], 0))
    for r in records:
        out.log_records += 1
        try:
            event = json.loads(r.value)
        except ValueError:
            continue
        event_id = str(event.get("event_id", "")) if isinstance(event, dict) else ""
        if not event_id or event_id in poison or event_id in out.in_log:
            continue
        out.in_log.add(event_id)
        visitor = event["subject_id"]
        if event["type"] == "inquiry.submitted.v1":
            out.fold.prospects.setdefault(visitor, Prospect())  # stage 1, no points, no click
            out.entry[visitor] = ("inquiry", event["form_id"])  # the latest form replaces
        else:
            cta = event["cta"]
            out.fold.fold(visitor, cta["stage"], cta["points"])
            out.entry.setdefault(visitor, ("cta", cta["id"]))  # the first click, unless a form
    out.distinct = len(out.in_log)
    return out


def entry_of(entry: dict[str, Any] | None) -> Entry:
    if entry is None:
        return None
    return (entry["kind"], entry["cta_id"] if entry["kind"] == "cta" else entry["form_id"])


class Holdings:
    """What the services hold, asked over HTTP with a consultant's session."""

    def __init__(self, journey: str, projections: str, alerts: str, token: str):
        headers = {"Authorization": f"Bearer {token}"}
        self.journey = httpx.Client(base_url=journey, headers=headers, timeout=30)
        self.projections = httpx.Client(base_url=projections, headers=headers, timeout=30)
        self.alerts_api = httpx.Client(base_url=alerts, headers=headers, timeout=30)

    def close(self) -> None:
        for client in (self.journey, self.projections, self.alerts_api):
            client.close()

    def _pages(self, client: httpx.Client, path: str, key: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            r = client.get(path, params={"limit": PAGE, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
            rows += r.json()[key]
            if not (cursor := r.json()["next_cursor"]):
                return rows

    def board(self) -> dict[str, Holding]:
        return {
            r["prospect_id"]: (
                r["stage"],
                r["points"],
                r["clicks"],
                entry_of(r["entry_point"]),
            )
            for r in self._pages(self.projections, "/v1/board", "rows")
        }

    def journey_prospects(self, ids: list[str]) -> dict[str, Holding]:
        out: dict[str, Holding] = {}
        for prospect_id in ids:
            r = self.journey.get(f"/v1/prospects/{prospect_id}")
            if r.status_code == 404:
                continue
            assert r.status_code == 200, f"journey {prospect_id}: {r.status_code} {r.text[:300]}"
            p = r.json()
            out[prospect_id] = (p["stage"], p["points"], p["clicks"], entry_of(p["entry_point"]))
        return out

    def alerts(self) -> dict[str, tuple[str, int, int]]:
        rows = self._pages(self.alerts_api, "/v1/alerts", "alerts")
        return {r["prospect_id"]: (r["priority"], r["target_stage"], r["count"]) for r in rows}


@dataclass
class Comparison:
    what: str
    wrong: dict[str, tuple[Any, Any]]  # key: (held, expected)
    lost: int  # clicks expected and not held
    doubled: int  # clicks held beyond those expected

    def line(self) -> str:
        shown = "; ".join(f"{k}: held {h} want {w}" for k, (h, w) in list(self.wrong.items())[:4])
        return (
            f"{self.what}: {len(self.wrong)} differ, {self.lost} clicks lost, "
            f"{self.doubled} double-counted" + (f" ({shown})" if shown else "")
        )


def compare(
    what: str, held: dict[str, Any], want: dict[str, Any], clicks_at: int | None
) -> Comparison:
    wrong = {
        k: (held.get(k), want.get(k))
        for k in want.keys() | held.keys()
        if held.get(k) != want.get(k)
    }
    lost = doubled = 0
    if clicks_at is not None:
        for h, w in wrong.values():
            have, need = (h[clicks_at] if h else 0), (w[clicks_at] if w else 0)
            lost += max(0, need - have)
            doubled += max(0, have - need)
    return Comparison(what, wrong, lost, doubled)


def dead_letters(records: dict[str, list[ConsumerRecord]]) -> dict[str, Counter[str]]:
    """Per group's dead-letter topic: how many, by the error type its headers give."""
    out: dict[str, Counter[str]] = {}
    for group, found in records.items():
        reasons: Counter[str] = Counter()
        for r in found:
            headers = dict(r.headers or ())
            reasons[headers.get("x-error-type", b"?").decode()] += 1
        out[group] = reasons
    return out


def dead_ids(records: list[ConsumerRecord]) -> set[str]:
    """The event ids (or, for bytes that are not an event, the raw value) dead-lettered."""
    out: set[str] = set()
    for r in records:
        try:
            out.add(str(json.loads(r.value)["event_id"]))
        except (ValueError, KeyError, TypeError):
            out.add(r.value.decode("utf-8", "replace"))
    return out
