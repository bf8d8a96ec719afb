from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from services.common.kafka import _partition_index


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=64))
def test_keyed_partition_is_the_one_the_kafka_clients_choose(key: bytes, count: int) -> None:
    partitions = list(range(count))
    chosen = DefaultPartitioner()(key, partitions, partitions)
    assert partitions[_partition_index(key, count)] == chosen
    assert partitions[_partition_index(key, count)] == chosen  # remembered, still the same
