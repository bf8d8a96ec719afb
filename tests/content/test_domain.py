import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas.content import PlaybookMetadataSetV1
from services.content.domain import (
    Cached,
    Copy,
    Quote,
    QuoteRejected,
    checked_quote,
    fallback_copy,
    is_fresh,
    replay,
    variation_id,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CANDIDATES = (
    Quote("Everyone lives by selling something.", "Robert Louis Stevenson"),
    Quote("Well done is better than well said.", "Benjamin Franklin"),
)
COPY = Copy("Header", ("One.", "Two."), CANDIDATES[0])


def metadata_set(at: datetime = T0, **changes: object) -> PlaybookMetadataSetV1:
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "occurred_at": at,
        "subject_id": "discovery",
        "playbook_id": "discovery",
        "title": "Discovery calls",
        "tagline": "Ask better questions",
        "domain_tags": ("sales", "discovery"),
        "tone": "warm",
        "author": "sam@example.com",
    }
    return PlaybookMetadataSetV1.model_validate({**fields, **changes})


def test_the_newest_metadata_event_is_the_current_metadata():
    first, second = metadata_set(), metadata_set(T0 + timedelta(hours=1), title="Better calls")

    playbook = replay([first, second])

    assert playbook is not None
    assert (playbook.title, playbook.version) == ("Better calls", str(second.event_id))
    assert playbook.tagline == "Ask better questions"
    assert replay([]) is None


def test_copy_is_fresh_for_seven_days_from_its_generation_then_stale():
    playbook = replay([metadata_set()])
    assert playbook is not None
    cached = Cached("v1", COPY, playbook.version, T0)

    assert is_fresh(cached, playbook, now=T0 + WEEK - timedelta(seconds=1), max_age=WEEK)
    assert not is_fresh(cached, playbook, now=T0 + WEEK, max_age=WEEK)
    assert not is_fresh(None, playbook, now=T0, max_age=WEEK)


def test_copy_made_for_older_metadata_is_not_fresh():
    old = replay([metadata_set()])
    new = replay([metadata_set(title="Renamed")])
    assert old is not None and new is not None
    cached = Cached("v1", COPY, old.version, T0)

    assert not is_fresh(cached, new, now=T0, max_age=WEEK)


def test_a_candidate_quote_copied_verbatim_with_its_author_is_accepted():
    chosen = checked_quote(
        " Everyone lives by selling something.\n", "Robert Louis Stevenson", CANDIDATES
    )

    assert chosen == CANDIDATES[0]


@pytest.mark.parametrize(
    ("text", "author"),
    [
        ("Everyone lives by selling something!", "Robert Louis Stevenson"),
        ("Everyone lives by selling something.", "Mark Twain"),
        ("Growth is a mindset, not a metric.", "Benjamin Franklin"),
    ],
)
def test_a_changed_misattributed_or_invented_quote_is_rejected(text, author):
    with pytest.raises(QuoteRejected):
        checked_quote(text, author, CANDIDATES)


def test_the_same_copy_is_the_same_variation_and_other_copy_another():
    again = Copy("Header", ("One.", "Two."), CANDIDATES[0])
    other = Copy("Header", ("One.", "Two."), CANDIDATES[1])

    assert variation_id("discovery", COPY) == variation_id("discovery", again)
    assert variation_id("discovery", COPY) != variation_id("discovery", other)
    assert variation_id("discovery", COPY) != variation_id("other-playbook", COPY)


def test_fallback_is_the_playbooks_static_copy_else_its_title_and_tagline():
    own = replay([metadata_set(fallback_header="Get it", fallback_paragraphs=("Free.",))])
    bare = replay([metadata_set()])
    assert own is not None and bare is not None

    assert fallback_copy(own) == Copy("Get it", ("Free.",), None)
    assert fallback_copy(bare) == Copy("Discovery calls", ("Ask better questions",), None)
