"""The billing service as the Kafka + PostgreSQL tests reach it: over HTTP, by its database, by
reading `crm.billing` back, and by webhooks signed the way Stripe signs them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from schemas import topics
from schemas.envelope import Event
from tests.content.service import content_events
from tests.product import in_own_loop

SITE_KEY = "site-key-for-billing"
GATED = "unlock-accelerator-playbooks"


@dataclass
class Service:
    base: str
    database_url: str
    bootstrap: str
    namespace: str
    log: Path

    @property
    def site(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {SITE_KEY}"}

    def access(self, prospect: str, cta: str = GATED) -> httpx.Response:
        params = {"prospect_id": prospect, "cta_id": cta}
        return httpx.get(f"{self.base}/v1/access", params=params, headers=self.site)

    def checkout(self, prospect: str, cta: str = GATED) -> httpx.Response:
        body = {"prospect_id": prospect, "cta_id": cta}
        return httpx.post(f"{self.base}/v1/checkout", json=body, headers=self.site, timeout=30)

    def webhook(self, payload: str, sig: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if sig is not None:
            headers["Stripe-Signature"] = sig
        return httpx.post(f"{self.base}/v1/stripe/webhook", content=payload, headers=headers)

    def events(self, prospect: str) -> list[Event]:
        found = in_own_loop(content_events(self.bootstrap, self.namespace + topics.BILLING))
        return [e for e in found if e.subject_id == prospect]

    def rows(self, sql: str) -> list[Any]:
        return in_own_loop(_fetch(self.database_url, sql))


async def _fetch(url: str, sql: str) -> list[Any]:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()
