"""Documents generated from the catalogue: JSON Schemas of the events and of the producer wire
format, and an AsyncAPI 3.0 description of the topics.

`python -m schemas.export` rewrites `schemas/generated/`; with `--check` it writes nothing and
exits 1 if a checked-in file differs from what the code generates now.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas import topics
from schemas.catalogue import EVENT_TYPES, TOPIC_OF, AnyEvent, type_name
from schemas.envelope import Event
from schemas.producer import SentBatch, SentEvent

GENERATED = Path(__file__).parent / "generated"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"


def events_json_schema() -> dict[str, Any]:
    """JSON Schema of every catalogue event, one `oneOf` branch per wire type."""
    schema = _catalogue_schema("#/$defs/{model}")
    return {
        "$schema": DRAFT_2020_12,
        "$id": "urn:hero-journey-crm:schemas:events",
        "title": "Hero Journey CRM events",
        "description": "Any event of the catalogue, told apart by `type` (`cta.clicked.v1`). "
        "Generated from `schemas/` by `python -m schemas.export`; do not edit.",
        **schema,
    }


def producer_json_schema() -> dict[str, Any]:
    """JSON Schema of what websites send to `POST /v1/events`: one event or a batch."""
    sent = TypeAdapter(SentEvent).json_schema()
    batch = SentBatch.model_json_schema()
    batch["properties"]["events"]["items"] = {"$ref": "#/$defs/SentEvent"}
    return {
        "$schema": DRAFT_2020_12,
        "$id": "urn:hero-journey-crm:schemas:producer",
        "title": "Hero Journey CRM producer events",
        "description": 'The body of `POST /v1/events`: one event, or `{"events": [...]}`. '
        "Generated from `schemas/producer.py` by `python -m schemas.export`; do not edit.",
        "oneOf": [{"$ref": "#/$defs/SentEvent"}, {"$ref": "#/$defs/SentBatch"}],
        "$defs": {
            **sent["$defs"],
            "SentEvent": {"oneOf": sent["oneOf"], "discriminator": sent["discriminator"]},
            "SentBatch": batch,
        },
    }


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0.0 document: one channel per topic, one message per event type."""
    messages = {cls.__name__: _message(cls) for cls in EVENT_TYPES}
    channels = {
        _channel_id(topic): {
            "address": topic,
            "messages": {
                cls.__name__: _message_ref(cls)
                for cls in EVENT_TYPES
                if TOPIC_OF[type_name(cls)] == topic
            },
        }
        for topic in topics.ALL
    }
    channels["crm_dlq"] = {
        "address": topics.dead_letter("{group}"),
        "description": "What one consumer group could not process: the original key and value, "
        "with the error in the headers.",
        "parameters": {"group": {"description": "The consumer group that gave up."}},
        "messages": {cls.__name__: _message_ref(cls) for cls in EVENT_TYPES},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hero Journey CRM events",
            "version": version("hero-journey-crm"),
            "description": "Facts the CRM's services publish to Kafka. Every message is keyed "
            "by `subject_id`, the prospect, so one prospect's events stay in order.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {
            "messages": messages,
            "schemas": _catalogue_schema("#/components/schemas/{model}")["$defs"],
        },
    }


def render() -> dict[str, str]:
    """Each generated file's name and text: sorted keys, indent 2, a trailing newline."""
    documents = {
        "events.schema.json": events_json_schema(),
        "producer.schema.json": producer_json_schema(),
        "asyncapi.json": asyncapi(),
    }
    return {
        name: json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, doc in documents.items()
    }


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (directory / name).write_text(text, encoding="utf-8")


def stale(directory: Path) -> list[str]:
    """Names of the files in `directory` that are missing or differ from the code."""
    return [
        name
        for name, text in render().items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]


def _catalogue_schema(ref_template: str) -> dict[str, Any]:
    schema = TypeAdapter(AnyEvent).json_schema(ref_template=ref_template)
    # `type` has a default on each model, but the union cannot tell events apart without it.
    for name in (cls.__name__ for cls in EVENT_TYPES):
        required = schema["$defs"][name].setdefault("required", [])
        if "type" not in required:
            required.insert(0, "type")
    return schema


def _message(cls: type[Event]) -> dict[str, Any]:
    return {
        "name": type_name(cls),
        "title": cls.__name__,
        "summary": inspect.cleandoc(cls.__doc__ or ""),
        "contentType": "application/json",
        "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "subject_id: the prospect"},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _message_ref(cls: type[Event]) -> dict[str, str]:
    return {"$ref": f"#/components/messages/{cls.__name__}"}


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    if not args.check:
        write(GENERATED)
        return 0
    out_of_date = stale(GENERATED)
    for name in out_of_date:
        print(f"{GENERATED / name} differs from the code", file=sys.stderr)
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main())
