"""The fault suite's fixtures: one 3-node cluster for the whole suite, cleaned away after it."""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator

import pytest

from tests.faults.cluster import Cluster


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    port = int(os.environ.get("CRM_KAFKA_CLUSTER_PORT", "0")) or free_ports()
    found = Cluster(
        tmp_path_factory.mktemp("cluster"),
        port,
        int(os.environ.get("CRM_KAFKA_CLUSTER_CONTROLLER_PORT", str(port + 3))),
    )
    try:
        found.start()
        yield found
    finally:
        found.clean()


def free_ports(count: int = 6) -> int:
    """The first of `count` consecutive ports nothing listens on (brokers, then controllers)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 30000)
        if all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
