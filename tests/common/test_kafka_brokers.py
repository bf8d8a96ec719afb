"""CRM_KAFKA_BOOTSTRAP_SERVERS names one broker or a cluster's list, as Kafka's clients write it."""

from __future__ import annotations

import pytest

from services.common.kafka import KafkaTransport, brokers


def test_a_comma_separated_list_becomes_one_address_each() -> None:
    assert brokers("10.0.0.1:9092, 10.0.0.2:9092,,10.0.0.3:9092 ") == [
        "10.0.0.1:9092",
        "10.0.0.2:9092",
        "10.0.0.3:9092",
    ]
    assert brokers("127.0.0.1:19092") == ["127.0.0.1:19092"]
    assert brokers(["a:1", " b:2 "]) == ["a:1", "b:2"]


def test_no_broker_at_all_is_refused_naming_the_setting_s_content() -> None:
    with pytest.raises(ValueError, match="no Kafka bootstrap server"):
        brokers(" , ")


def test_the_transport_hands_the_clients_the_list() -> None:
    transport = KafkaTransport("127.0.0.1:1,127.0.0.1:2")
    assert transport.bootstrap_servers == ["127.0.0.1:1", "127.0.0.1:2"]
