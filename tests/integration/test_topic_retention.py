"""The topics the product creates keep every event: replays and rescoring read them from the
start, so the broker's default retention (7 days) must not apply."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas import topics
from services.common.kafka import KafkaTransport


async def test_created_topics_keep_their_events_forever(kafka_bootstrap: str, unique: str) -> None:
    namespace = f"keep{unique}."
    transport = KafkaTransport(kafka_bootstrap, namespace=namespace)
    await transport.start()
    await transport.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, namespace + t) for t in topics.ALL]
        )
    finally:
        await admin.close()
    found = {
        name: {entry[0]: entry[1] for entry in entries}
        for response in described
        for _, _, _, name, entries in response.resources
    }
    assert set(found) == {namespace + t for t in topics.ALL}
    for name, config in found.items():
        assert (config["retention.ms"], config["retention.bytes"]) == ("-1", "-1"), name
