"""The content service as the Kafka + PostgreSQL tests reach it: over HTTP, and by reading its
topics back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import topics
from schemas.catalogue import parse_event
from schemas.envelope import Event
from tests.content.anthropic_stub import Stub
from tests.processes import poll
from tests.product import in_own_loop

SECRET = "content-secret"
SITE_KEY = "site-key-for-gates"
MODEL = "claude-stub-model"


@dataclass
class Service:
    base: str
    consultant: dict[str, str]
    site: dict[str, str]
    stub: Stub
    bootstrap: str
    namespace: str

    def put(self, playbook: str, **changes: Any) -> httpx.Response:
        body = {
            "title": "Selling without pushing",
            "tagline": "Conversations that close",
            "domain_tags": ["sales", "selling"],
            "tone": "warm, direct",
            "body": "Selling starts with a question.\n\nOur office moved in spring.",
            "fallback": {"header": f"Static {playbook}", "paragraphs": ["Get the playbook."]},
            **changes,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return httpx.put(f"{self.base}/v1/playbooks/{playbook}", json=body, headers=self.consultant)

    def gate(self, playbook: str, visitor: str = "v-1") -> httpx.Response:
        return httpx.get(
            f"{self.base}/v1/playbooks/{playbook}/gate",
            params={"visitor_id": visitor},
            headers=self.site,
            timeout=30,
        )

    def events(self, playbook: str) -> list[Event]:
        return [
            e
            for e in in_own_loop(content_events(self.bootstrap, self.namespace + topics.CONTENT))
            if getattr(e, "playbook_id", None) == playbook
        ]

    def web_events(self, visitor: str) -> list[Event]:
        found = in_own_loop(content_events(self.bootstrap, self.namespace + topics.WEB))
        return [e for e in found if e.subject_id == visitor]

    def submit(self, playbook: str, **body: Any) -> httpx.Response:
        return httpx.post(
            f"{self.base}/v1/playbooks/{playbook}/gate/submit", json=body, headers=self.site
        )

    def metrics(self) -> str:
        return httpx.get(f"{self.base}/metrics").text


async def content_events(bootstrap: str, topic: str) -> list[Event]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        parts = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()]
        if not parts:
            return []
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out: list[Event] = []
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out += [parse_event(r.value) for r in records]
        return out
    finally:
        await consumer.stop()


def types_of(service: Service, playbook: str, count: int) -> list[str]:
    found = poll(lambda: service.events(playbook), lambda es: len(es) >= count, timeout=30)
    return sorted(e.type for e in found)


def candidates_sent(stub: Stub) -> list[dict[str, str]]:
    prompt = stub.requests[-1]["messages"][0]["content"]
    return list(json.loads(prompt[prompt.index("\n\n{") + 2 :])["candidate_quotes"])
