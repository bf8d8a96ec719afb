"""The embedded product in a child process, as `make run` starts it, shared by tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.common.auth import issue_token
from tests.processes import crm


@dataclass
class Product:
    """The embedded product running in a child process, as `make run` starts it."""

    base: str
    data_dir: Path
    producer_key: str
    token: str

    def post(
        self, body: object | None = None, *, raw: bytes | None = None, key: str | None = None
    ) -> httpx.Response:
        key = self.producer_key if key is None else key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if raw is not None:
            return httpx.post(f"{self.base}/v1/events", content=raw, headers=headers)
        return httpx.post(f"{self.base}/v1/events", json=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers={"Authorization": f"Bearer {self.token}"})

    def prospect(self, prospect_id: str) -> httpx.Response:
        return httpx.get(
            f"{self.base}/v1/prospects/{prospect_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def published(self) -> int:
        with sqlite3.connect(self.data_dir / "events.db") as db:
            return int(db.execute("SELECT COUNT(*) FROM log WHERE topic = 'crm.web'").fetchone()[0])


def running_product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data_dir = tmp_path_factory.mktemp("crm-data")
    secret = "test-session-secret"
    env = {"CRM_INGEST_API_KEYS": "pk-site-a,pk-site-b", "CRM_SESSION_SECRET": secret}
    with crm(["run", "--data-dir", str(data_dir)], data_dir / "crm.log", env) as base:
        yield Product(
            base, data_dir, "pk-site-b", issue_token(secret, "c@example.com", "admin", 3600)
        )
