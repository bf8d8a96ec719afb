import uuid

from hypothesis import given
from hypothesis import strategies as st

from services.journey.domain.derived import uuid5


@given(st.uuids(), st.text(max_size=40))
def test_derived_ids_are_the_standard_uuid5_of_cause_and_kind(cause: uuid.UUID, kind: str) -> None:
    made, standard = uuid5(cause, kind), uuid.uuid5(cause, kind)
    assert made == standard
    assert str(made) == str(standard)
    assert hash(made) == hash(standard)
    assert made.version == 5
    assert made.variant == uuid.RFC_4122
